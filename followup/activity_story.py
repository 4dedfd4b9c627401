"""The activity's whole story on the plans app's activity page: every report of the activity in
every round of its plan, newest first, and each indicator's latest reported value.

Registered in `FollowupConfig.ready()` through `plans.activity_page`. The page's two hooks share
one load, kept on the activity object: three queries, however many rounds, reports and values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import HttpRequest

from klockaretorpet import permissions
from plans.activity_page import ActivitySection, IndicatorReading
from plans.models import Activity

from .models import ActivityReview, FollowUp, IndicatorValue


@dataclass
class StoryEntry:
    """One round of the plan, with the activity's report in it (if any)."""

    follow_up: FollowUp
    review: ActivityReview | None
    can_report: bool = False
    values: list[IndicatorValue] = field(default_factory=list)


def story_of(request: HttpRequest, activity: Activity) -> list[StoryEntry]:
    """The plan's rounds, newest first, each with the activity's report."""
    if not hasattr(activity, "_followup_story"):
        activity._followup_story = _load_story(request, activity)
    return activity._followup_story


def _load_story(request: HttpRequest, activity: Activity) -> list[StoryEntry]:
    rounds = list(FollowUp.objects.filter(plan_id=activity.plan_id).order_by("-year"))
    values = IndicatorValue.objects.select_related("indicator")
    reports = (
        ActivityReview.objects.filter(activity=activity, follow_up__plan_id=activity.plan_id)
        .select_related("reviewed_by")
        .prefetch_related(Prefetch("indicator_values", queryset=values))
    )
    reviews = {review.follow_up_id: review for review in reports}
    story = []
    for follow_up in rounds:
        review = reviews.get(follow_up.pk)
        story.append(
            StoryEntry(
                follow_up,
                review,
                # Only an open round takes reports; asking for the others would cost queries.
                can_report=follow_up.is_open
                and permissions.can_report(request.user, follow_up, activity),
                values=list(review.indicator_values.all()) if review else [],
            )
        )
    return story


def section_context(request: HttpRequest, activity: Activity) -> dict:
    return {"entries": story_of(request, activity)}


def latest_readings(request: HttpRequest, activity: Activity) -> dict[int, IndicatorReading]:
    """Each indicator's latest reported value, as `IndicatorValue.objects.latest_per_indicator`
    reads it for the dashboard: the latest round's, a round without a value left out."""
    readings = {}
    for entry in reversed(story_of(request, activity)):  # oldest first: later rounds win
        for value in entry.values:
            if value.actual_value is not None:
                readings[value.indicator_id] = IndicatorReading(
                    value.indicator,
                    value.actual_value,
                    entry.follow_up.year,
                    preliminary=entry.follow_up.is_open,
                )
    return readings


FOLLOW_UPS_SECTION = ActivitySection("followup/_activity_followups.html", section_context, 10)
