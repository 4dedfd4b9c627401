from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from followup.models import FollowUp
from followup.reports import followup_report_pdf, plan_report_pdf
from followup.versions import SnapshotSchemaError


class Command(BaseCommand):
    help = (
        "Writes the follow-up report of a declaration's round for a year as PDF (a closed round's "
        "from its plan version), or with --plan the plan itself as that round's version froze it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--declaration", required=True, help="The declaration's slug.")
        parser.add_argument("--year", required=True, type=int, help="The follow-up's year.")
        parser.add_argument("-o", "--output", required=True, help="The PDF file to write.")
        parser.add_argument(
            "--plan",
            action="store_true",
            help="The plan (vision, goals, strategies, activities) instead of the report.",
        )
        parser.add_argument(
            "--short",
            action="store_true",
            help="The short version: the cover, the state in brief, what to discuss, the changes.",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="The report's language (default: %(default)s).",
        )

    def handle(self, *args, declaration, year, output, plan, short, language, **options):
        with translation.override(language):
            follow_up = (
                FollowUp.objects.select_related("plan")
                .filter(plan__declaration__slug=declaration, year=year)
                .order_by("-plan__start_year")
                .first()
            )
            if follow_up is None:
                raise CommandError(
                    f"Ingen uppföljning {year} för avsiktsförklaringen ”{declaration}”."
                )
            try:
                if plan:
                    version = getattr(follow_up, "version", None) if not follow_up.is_open else None
                    _name, content = plan_report_pdf(follow_up.plan, version=version)
                else:
                    _name, content = followup_report_pdf(follow_up, short=short)
            except SnapshotSchemaError as error:
                raise CommandError(str(error)) from error
        Path(output).write_bytes(content)
        self.stdout.write(f"{output}: {len(content) // 1024} kB")
