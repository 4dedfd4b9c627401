"""The latest closed round's assessment as a column of the plans' activity tables.

A closed round's reports are frozen, so what the column shows changes only when a round is
written (opened, closed, deleted): the cached sections depend on `ROUNDS`, which those writes
replace, and not on every report saved while a round is open.
"""

from django.db.models import OuterRef, Subquery
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from klockaretorpet.generations import Generation
from plans import tree_cache
from plans.activity_columns import ActivityColumn, add_activity_column

from .models import ActivityReview, FollowUp

ROUNDS = Generation("followup:rounds-generation")


def with_latest_closed_assessment(activities):
    latest = (
        ActivityReview.objects.closed().filter(activity=OuterRef("pk")).order_by("-follow_up__year")
    )
    return activities.annotate(
        latest_closed_assessment=Subquery(latest.values("assessment")[:1]),
        latest_closed_year=Subquery(latest.values("follow_up__year")[:1]),
    )


LATEST_CLOSED_ASSESSMENT = ActivityColumn(
    name="latest_closed_assessment",
    heading=_("Latest assessment"),
    cell_template="followup/_assessment_cell.html",
    annotate=with_latest_closed_assessment,
)


def _round_written(sender, **kwargs) -> None:
    ROUNDS.bump_once()


def register() -> None:
    add_activity_column(LATEST_CLOSED_ASSESSMENT)
    tree_cache.add_section_dependency(ROUNDS)
    for signal in (post_save, post_delete):
        signal.connect(_round_written, sender=FollowUp, dispatch_uid=f"{ROUNDS.key}:{signal}")
