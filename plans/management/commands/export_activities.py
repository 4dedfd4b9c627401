from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from plans.models import ActivityPlan
from plans.resources import export_activities_workbook
from strategies.models import IntentDeclaration


class Command(BaseCommand):
    help = "Writes a declaration's activities to an .xlsx file (the same file as the admin export)."

    def add_arguments(self, parser):
        parser.add_argument("--declaration", required=True, help="The declaration's slug.")
        parser.add_argument("-o", "--output", help="File to write (default: the usual name).")

    def handle(self, *args, declaration, output, **options):
        try:
            intent = IntentDeclaration.objects.get(slug=declaration)
        except IntentDeclaration.DoesNotExist:
            known = ", ".join(IntentDeclaration.objects.values_list("slug", flat=True)) or "–"
            raise CommandError(
                f"Avsiktsförklaringen ”{declaration}” finns inte. Kända: {known}."
            ) from None
        plan = ActivityPlan.objects.filter(declaration=intent).current()
        if plan is None:
            raise CommandError(f"Avsiktsförklaringen ”{declaration}” har ingen aktivitetsplan.")
        name, content = export_activities_workbook(
            plan.activities.all(), declaration_slug=intent.slug
        )
        path = Path(output or name)
        path.write_bytes(content)
        self.stdout.write(f"{plan.activities.count()} aktiviteter skrivna till {path}")
