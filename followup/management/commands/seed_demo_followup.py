"""Demo data for the yearly cycle: last year's round closed with its version, this year's open
with some activities reported, so a new user sees both states at once (development only)."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from followup.models import ActivityReview, Assessment, FollowUp
from followup.rounds import close_round, save_review
from plans.models import ActivityPlan, ActivityStatus, PlanStatus

# (assessment, what was done, deviations, next step, new status), by turns.
REPORTS = [
    (
        Assessment.ON_TRACK,
        "Exempel: arbetet har genomförts enligt planen tillsammans med boende och föreningar.",
        "",
        "Fortsätta enligt plan och återrapportera vid nästa uppföljning.",
        ActivityStatus.ONGOING,
    ),
    (
        Assessment.DEVIATION,
        "Exempel: förstudien är klar, men genomförandet har inte startat.",
        "Upphandlingen blev försenad.",
        "Starta genomförandet under våren.",
        ActivityStatus.ONGOING,
    ),
    (
        Assessment.ON_TRACK,
        "Exempel: aktiviteten är genomförd och utvärderad.",
        "",
        "Inga fler steg; erfarenheterna tas med i nästa revidering.",
        ActivityStatus.DONE,
    ),
    (
        Assessment.SERIOUS_DEVIATION,
        "Exempel: aktiviteten har inte kunnat påbörjas.",
        "Ansvarig enhet saknar resurser i år.",
        "Tas upp i styrgruppen vid uppföljningsmötet.",
        ActivityStatus.PAUSED,
    ),
]


class Command(BaseCommand):
    help = "Adds a closed and an open follow-up round to the demo plan (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo_followup lägger in demodata och körs bara med DJANGO_DEBUG=1."
            )
        plan = ActivityPlan.objects.filter(declaration__slug="klockaretorpet").current()
        admin = get_user_model().objects.filter(username="planadmin").first()
        if plan is None or admin is None:
            raise CommandError("Kör seed_demo först.")
        this_year = timezone.localdate().year
        with transaction.atomic():
            if plan.status == PlanStatus.DRAFT:
                # A plan is followed up once adopted; the demo's story starts there, so its
                # public page (once published) shows it.
                plan.status = PlanStatus.ACTIVE
                plan.save(update_fields=["status", "updated_at"])
            if not plan.follow_ups.filter(year=this_year - 1).exists():
                self._round(plan, admin, this_year - 1, report_every=1, close=True)
            if not plan.follow_ups.filter(year=this_year).exists():
                self._round(plan, admin, this_year, report_every=3, close=False)
        self.stdout.write(
            self.style.SUCCESS(
                f"Uppföljning {this_year - 1} (stängd, med planversion) och {this_year} (öppen)."
            )
        )

    def _round(self, plan, admin, year, *, report_every, close):
        follow_up = FollowUp.objects.create(
            plan=plan,
            year=year,
            deadline=datetime.date(year + 1, 1, 31),
            meeting_date=datetime.date(year + 1, 2, 20),
        )
        examples = plan.activities.filter(title__startswith="Exempel:").in_code_order()
        for number, activity in enumerate(examples):
            if number % report_every:
                continue
            assessment, done, deviations, next_step, status = REPORTS[number % len(REPORTS)]
            review = ActivityReview(
                follow_up=follow_up,
                activity=activity,
                assessment=assessment,
                done=done,
                deviations=deviations,
                next_step=next_step,
                new_status=status,
            )
            review.full_clean()
            values = {
                indicator: (indicator.baseline_value or Decimal(0)) + number + 1
                for indicator in activity.indicators.all()
            }
            save_review(review, actual_values=values, user=admin)
        if close:
            close_round(
                follow_up,
                user=admin,
                reason="Exempel: aktiviteterna ur avsiktsförklaringen saknar ännu ansvarig "
                "organisation och rapporteras från nästa år.",
            )
