"""The dashboard: a read-only overview of a declaration's current activity plan — counts per
målbild, incomplete and late activities, indicators against baseline and target.

It lives in the follow-up app because it shows the latest round's assessments; the plan's
other overviews (timeline, coverage) are `plans.overviews`. The page loads what it shows in a
fixed number of queries, whatever the number of activities, and counts in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from klockaretorpet import permissions
from klockaretorpet.numbers import decimal_text
from plans import overviews
from plans.forms import ActivityFilterForm
from plans.models import Activity, ActivityPlan, ActivityStatus, ActivityType, Indicator
from strategies.models import Goal, Organisation

from .charts import (
    MISSING_COLOUR,
    ORGANISATION_COLOUR,
    TYPE_COLOURS,
    Breakdown,
    breakdown,
)
from .models import AssessmentOutcome, FollowUp, IndicatorValue
from .reports import CHART_COLOURS


def breakdowns(
    activities: list[Activity], goals: list[Goal], assessments: dict[int, str] | None
) -> list[Breakdown]:
    """The activities counted by status, assessment (when a round has been opened:
    `assessments` is then the latest round's), type and lead organisation."""
    common = {"activities": activities, "goals": goals}
    return [
        _by_status(**common),
        *([] if assessments is None else [_by_assessment(assessments, **common)]),
        _by_type(**common),
        _by_lead_organisation(**common),
    ]


def _by_status(**common) -> Breakdown:
    return breakdown(
        slug="status",
        title=_("Activities by status"),
        heading=_("Status"),
        key_of=lambda activity: activity.status,
        categories=[
            (status.value, str(status.label).capitalize(), overviews.STATUS_COLOURS[status], status)
            for status in ActivityStatus
        ],
        **common,
    )


def _by_assessment(assessments: dict[int, str], **common) -> Breakdown:
    return breakdown(
        slug="assessment",
        title=_("Activities by assessment"),
        heading=_("Assessment"),
        key_of=lambda activity: assessments.get(activity.pk, AssessmentOutcome.NOT_REPORTED),
        categories=[
            (
                outcome.value,
                str(outcome.label).capitalize(),
                CHART_COLOURS[outcome],
                "unreported" if outcome == AssessmentOutcome.NOT_REPORTED else outcome.value,
            )
            for outcome in AssessmentOutcome
        ],
        **common,
    )


def _by_type(**common) -> Breakdown:
    return breakdown(
        slug="activity-type",
        title=_("Activities by type"),
        heading=_("Type"),
        key_of=lambda activity: activity.activity_type,
        categories=[
            *((kind.value, str(kind.short_label), TYPE_COLOURS[kind], "") for kind in ActivityType),
            ("", _("No type"), MISSING_COLOUR, ""),
        ],
        keep_empty=False,
        **common,
    )


def _by_lead_organisation(*, activities: list[Activity], **common) -> Breakdown:
    organisations = {
        activity.lead_organisation_id: activity.lead_organisation.display_name
        for activity in activities
        if activity.lead_organisation_id
    }
    return breakdown(
        slug="lead-organisation",
        title=_("Activities by lead organisation"),
        heading=_("Lead organisation"),
        key_of=lambda activity: str(activity.lead_organisation_id or ""),
        categories=[
            *(
                (str(pk), name, ORGANISATION_COLOUR, "")
                for pk, name in sorted(organisations.items(), key=lambda item: item[1])
            ),
            ("", _("No lead organisation"), MISSING_COLOUR, ""),
        ],
        keep_empty=False,
        activities=activities,
        **common,
    )


@dataclass
class IndicatorRow:
    indicator: Indicator
    activity: Activity
    latest: Decimal | None
    latest_year: int | None

    @property
    def baseline_text(self) -> str:
        return decimal_text(self.indicator.baseline_value, year=self.indicator.baseline_year)

    @property
    def target_text(self) -> str:
        return decimal_text(self.indicator.target_value, year=self.indicator.target_year)

    @property
    def latest_text(self) -> str:
        return decimal_text(self.latest, year=self.latest_year)

    @property
    def progress(self) -> int | None:
        return self.indicator.progress(self.latest)

    @property
    def progress_width(self) -> int:
        return max(0, min(100, self.progress or 0))

    @property
    def verdict(self) -> str:
        return self.indicator.verdict(self.latest)


def indicator_rows(plan: ActivityPlan, activities: list[Activity]) -> list[IndicatorRow]:
    """Every indicator of the activities (prefetched) with its latest value in the plan."""
    latest = IndicatorValue.objects.latest_per_indicator(plan)
    return [
        IndicatorRow(indicator, activity, *latest.get(indicator.pk, (None, None)))
        for activity in activities
        for indicator in activity.indicators.all()
    ]


@permissions.allowed_when(permissions.can_view)
@require_safe
def dashboard(request, slug):
    declaration, plan = overviews.declaration_and_plan(slug)
    goals = overviews.goals_of(declaration)
    # The declaration page's filters, as GET parameters: a filtered overview can be shared.
    filter_form = ActivityFilterForm(request.GET or None)
    activities = list(
        filter_form.filter(overviews.plan_activities(plan, declaration)).for_overview()
    )
    latest_round = FollowUp.objects.latest_of(plan)
    assessments = latest_round.reviews.assessment_by_activity() if latest_round else None
    today = timezone.localdate()
    return render(
        request,
        "followup/dashboards/dashboard.html",
        {
            "declaration": declaration,
            "plan": plan,
            "goals": goals,
            "activity_count": len(activities),
            "filter_form": filter_form,
            "my_organisation": Organisation.objects.filter(memberships__user=request.user).first(),
            "breakdowns": breakdowns(activities, goals, assessments),
            "latest_round": latest_round,
            "reported": sum(1 for activity in activities if activity.pk in (assessments or {})),
            "incomplete": [activity for activity in activities if activity.missing_parts],
            "late": [activity for activity in activities if activity.late_reasons(today)],
            "indicators": indicator_rows(plan, activities),
            "today": today,
            "page": "dashboard",
        },
    )
