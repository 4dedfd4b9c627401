from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from followup.management.commands.export_followup import find_round
from followup.resources import import_round, read_round_sheet
from klockaretorpet import permissions
from klockaretorpet.sheet_import import RowKind
from plans.management.sheet_reporting import report_outcome


class Command(BaseCommand):
    help = (
        "Imports a follow-up round's reports from an .xlsx or .csv file in the export's layout: "
        "every row or none. With --dry-run it only reports what would change."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--declaration", required=True, help="The declaration's slug.")
        parser.add_argument("--year", required=True, type=int, help="The follow-up's year.")
        parser.add_argument("--dry-run", action="store_true", help="Preview; write nothing.")
        parser.add_argument(
            "--user",
            help="User name the reports and the change history record (required unless "
            "--dry-run); only activities this user may report are accepted.",
        )

    def handle(self, *args, file, declaration, year, dry_run, user, **options):
        follow_up = find_round(declaration, year)
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"Användaren ”{user}” finns inte.")
            # As in the portal: plan administrators, and editors for their organisation's
            # activities (checked row by row); checked before the file is read.
            if not importer.is_active or permissions.role_of(importer) not in (
                permissions.Role.PLAN_ADMIN,
                permissions.Role.EDITOR,
            ):
                raise CommandError(
                    f"Användaren ”{user}” får inte importera rapporter: bara "
                    "planadministratörer och redaktörer får det."
                )
        elif not dry_run:
            raise CommandError("Ange --user: ändringshistoriken ska visa vem som importerade.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Filen ”{file}” finns inte.")
        with path.open("rb") as handle:
            try:
                dataset = read_round_sheet(File(handle, name=path.name))
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
        outcome = import_round(follow_up=follow_up, dataset=dataset, user=importer, dry_run=dry_run)
        counts = outcome.counts
        summary = (
            f"{counts[RowKind.NEW]} nya, {counts[RowKind.CHANGED]} ändrade, "
            f"{counts[RowKind.UNCHANGED]} oförändrade, "
            f"{counts[RowKind.UNREPORTED]} ej rapporterade, "
            f"{counts[RowKind.INVALID]} med fel"
        )
        report_outcome(self, outcome, summary=summary, dry_run=dry_run, whole="uppföljningen")
