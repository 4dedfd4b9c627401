from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from klockaretorpet import permissions
from klockaretorpet.sheet_import import RowKind
from plans.management.sheet_reporting import report_outcome
from plans.resources import import_activities, read_activity_sheet
from strategies.models import IntentDeclaration


class Command(BaseCommand):
    help = (
        "Imports activities from an .xlsx or .csv file in the export's layout: every row or "
        "none. With --dry-run it only reports what would change."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--declaration", required=True, help="The declaration's slug.")
        parser.add_argument("--dry-run", action="store_true", help="Preview; write nothing.")
        parser.add_argument(
            "--user",
            help="User name the change history records (required unless --dry-run); a plan "
            "administrator, as in the admin.",
        )

    def handle(self, *args, file, declaration, dry_run, user, **options):
        try:
            intent = IntentDeclaration.objects.get(slug=declaration)
        except IntentDeclaration.DoesNotExist:
            raise CommandError(f"Avsiktsförklaringen ”{declaration}” finns inte.") from None
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"Användaren ”{user}” finns inte.")
            # The same rule as the admin's import, checked before the file is read.
            if not (importer.is_active and permissions.can_import(importer)):
                raise CommandError(
                    f"Användaren ”{user}” får inte importera aktiviteter: bara "
                    "planadministratörer får det."
                )
        elif not dry_run:
            raise CommandError("Ange --user: ändringshistoriken ska visa vem som importerade.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Filen ”{file}” finns inte.")
        with path.open("rb") as handle:
            try:
                dataset = read_activity_sheet(File(handle, name=path.name))
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
        outcome = import_activities(
            declaration=intent, dataset=dataset, user=importer, dry_run=dry_run
        )
        counts = outcome.counts
        summary = (
            f"{counts[RowKind.NEW]} nya, {counts[RowKind.CHANGED]} ändrade, "
            f"{counts[RowKind.UNCHANGED]} oförändrade, "
            f"{counts[RowKind.INVALID]} med fel"
        )
        report_outcome(self, outcome, summary=summary, dry_run=dry_run, whole="planen")
