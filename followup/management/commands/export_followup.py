from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from followup.models import FollowUp
from followup.resources import export_round_workbook, round_activities
from plans.models import ActivityPlan
from strategies.models import IntentDeclaration, Organisation


def find_round(declaration: str, year: int) -> FollowUp:
    """The follow-up of the declaration's current plan for the year, or a CommandError in
    Swedish naming what exists."""
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
    follow_up = (
        FollowUp.objects.select_related("plan__declaration").filter(plan=plan, year=year).first()
    )
    if follow_up is None:
        years = ", ".join(str(y) for y in plan.follow_ups.values_list("year", flat=True)) or "–"
        raise CommandError(
            f"”{plan}” har ingen uppföljning för {year}. Uppföljningar finns för: {years}."
        )
    return follow_up


class Command(BaseCommand):
    help = (
        "Writes a follow-up round to an .xlsx file: one row per activity with its report so far "
        "(the same file as the portal's)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--declaration", required=True, help="The declaration's slug.")
        parser.add_argument("--year", required=True, type=int, help="The follow-up's year.")
        parser.add_argument(
            "--organisation",
            help="Only activities this organisation (or one of its units) leads; name or "
            "short name.",
        )
        parser.add_argument("-o", "--output", help="File to write (default: the usual name).")

    def handle(self, *args, declaration, year, organisation, output, **options):
        follow_up = find_round(declaration, year)
        lead = None
        if organisation:
            lead = Organisation.objects.filter(
                Q(name__iexact=organisation.strip()) | Q(short_name__iexact=organisation.strip())
            ).first()
            if lead is None:
                known = "; ".join(Organisation.objects.values_list("name", flat=True)) or "–"
                raise CommandError(f"Organisationen ”{organisation}” finns inte. Kända: {known}.")
        name, content = export_round_workbook(follow_up, organisation=lead)
        path = Path(output or name)
        path.write_bytes(content)
        count = round_activities(follow_up, lead).count()
        self.stdout.write(f"{count} aktiviteter skrivna till {path}")
