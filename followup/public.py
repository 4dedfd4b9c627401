"""The public face of a published declaration: a read-only page for residents, and its
activities as open data (JSON and CSV) at stable addresses.

Everything here is reachable without logging in, so it shows only what was adopted: the
declaration's *active* plan (a draft plan is not shown, even when the declaration is published),
and each activity's status and assessment as the latest *closed* follow-up recorded them (its
plan version); a status reported in an open round is a draft until the round closes. Never
shown: the responsible unit or contact (often a person's name), who reported, what the reports
say (internal working notes), the change history, and anything of an open round. An unpublished
declaration is a 404 for everyone, staff included, so a public address never shows a draft.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from klockaretorpet.xlsx import inert_text
from plans.models import Activity, ActivityPlan, ActivityStatus, PlanStatus
from strategies.models import Goal, IntentDeclaration

from .models import Assessment, FollowUp, FollowUpState
from .versions import SnapshotSchemaError

logger = logging.getLogger(__name__)

# Open data may be held by shared caches for a few minutes; the page itself is not (its
# footer carries a CSRF token).
OPEN_DATA_MAX_AGE = 300


@dataclass
class PublicPlan:
    """What the public may see of a declaration, read in a fixed number of queries."""

    declaration: IntentDeclaration
    goals: list[Goal]
    plan: ActivityPlan | None
    # The latest closed round of the current plan: where the assessments come from.
    follow_up: FollowUp | None
    activities: list[Activity] = field(default_factory=list)

    @property
    def assessment_year(self) -> int | None:
        return self.follow_up.year if self.follow_up else None


def public_plan(slug: str) -> PublicPlan:
    """The published declaration `slug` with its current plan; 404 when it is not published.

    Each goal's strategies get `public_activities`, and each activity gets `public_assessment`
    (an `Assessment`, or None when the latest closed round has no report for it) and
    `public_status` (an `ActivityStatus` from that round's plan version, or None)."""
    declaration = get_object_or_404(
        IntentDeclaration.objects.select_related("district").prefetch_related("partners"),
        slug=slug,
        is_published=True,
    )
    goals = list(declaration.goals.order_by("position").prefetch_related("strategies"))
    plan = ActivityPlan.objects.filter(declaration=declaration, status=PlanStatus.ACTIVE).current()
    follow_up = None
    activities: list[Activity] = []
    adopted_statuses: dict[str, str] = {}
    if plan is not None:
        follow_up = (
            FollowUp.objects.filter(plan=plan, state=FollowUpState.CLOSED)
            .select_related("version")
            .only("pk", "year", "plan_id", "version__snapshot")
            .order_by("-year")
            .first()
        )
        version = getattr(follow_up, "version", None) if follow_up else None
        if version is not None:
            try:
                adopted_statuses = {
                    activity["code"]: activity["status"]
                    for activity in version.plan_data()["activities"]
                    if activity["status"] in ActivityStatus.values
                }
            except SnapshotSchemaError as error:
                # Better no status than a broken page for residents; the staff's pages say why.
                logger.error("A plan version cannot be read: %s", error)
        activities = list(
            plan.activities.select_related("strategy__goal", "lead_organisation")
            .prefetch_related("co_organisations")
            # Never read, so never shown by mistake: it may hold a person's name.
            .defer("responsible_unit")
            .in_code_order()
        )
    # Only the judgement itself: the report's texts and its author stay internal.
    assessments = (
        dict(follow_up.reviews.values_list("activity_id", "assessment"))
        if follow_up is not None
        else {}
    )
    by_strategy: dict[int, list[Activity]] = {}
    for activity in activities:
        value = assessments.get(activity.pk)
        activity.public_assessment = Assessment(value) if value else None
        # None for an activity no closed follow-up has seen yet (added since).
        status = adopted_statuses.get(activity.reference_code)
        activity.public_status = ActivityStatus(status) if status else None
        by_strategy.setdefault(activity.strategy_id, []).append(activity)
    for goal in goals:
        for strategy in goal.strategies.all():
            strategy.public_activities = by_strategy.get(strategy.pk, [])
    return PublicPlan(
        declaration=declaration,
        goals=goals,
        plan=plan,
        follow_up=follow_up,
        activities=activities,
    )


def _month(value) -> str | None:
    return value.strftime("%Y-%m") if value else None


def activity_record(activity: Activity) -> dict[str, Any]:
    """One activity as open data; the JSON's `activities` items and the CSV's rows."""
    assessment, status = activity.public_assessment, activity.public_status
    return {
        "code": activity.reference_code,
        "goal": activity.strategy.goal.position,
        "strategy": activity.strategy.number,
        "title": activity.title,
        "activity_type": activity.activity_type or None,
        "activity_type_label": str(activity.activity_type_short_label) or None,
        "lead_organisation": (
            activity.lead_organisation.name if activity.lead_organisation else None
        ),
        "co_organisations": [organisation.name for organisation in activity.co_organisations.all()],
        "schedule": activity.schedule_label or None,
        "planned_start": _month(activity.planned_start),
        "planned_end": _month(activity.planned_end),
        "status": status.value if status else None,
        "status_label": capfirst(str(status.label)) if status else None,
        "assessment": assessment.value if assessment else None,
        "assessment_label": capfirst(str(assessment.label)) if assessment else None,
    }


def open_data(public: PublicPlan) -> dict[str, Any]:
    declaration = public.declaration
    return {
        "declaration": {
            "slug": declaration.slug,
            "title": declaration.title,
            "district": declaration.district.name,
            "vision": declaration.vision,
            "partners": [organisation.name for organisation in declaration.partners.all()],
        },
        "plan": (
            {"name": public.plan.name, "period": public.plan.period_label} if public.plan else None
        ),
        "assessment_year": public.assessment_year,
        "goals": [
            {
                "position": goal.position,
                "title": goal.title,
                "strategies": [
                    {"number": strategy.number, "title": strategy.title}
                    for strategy in goal.strategies.all()
                ],
            }
            for goal in public.goals
        ],
        "activities": [activity_record(activity) for activity in public.activities],
    }


def csv_columns() -> list[tuple[str, str]]:
    """(key of `activity_record`, header) for every CSV column, in order."""
    return [
        ("code", _("Reference code")),
        ("goal", _("Goal")),
        ("strategy", _("Strategy")),
        ("title", _("Activity")),
        ("activity_type", _("Activity type (code)")),
        ("activity_type_label", _("Activity type")),
        ("lead_organisation", _("Lead organisation")),
        ("co_organisations", _("Co-responsible organisations")),
        ("schedule", _("Schedule")),
        ("planned_start", _("Planned start")),
        ("planned_end", _("Planned end")),
        ("status", _("Status (code)")),
        ("status_label", _("Status")),
        ("assessment", _("Assessment (code)")),
        ("assessment_label", _("Assessment")),
    ]


def csv_cell(value) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a quote before it."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(value)
    text, looks_like_formula = inert_text(value)
    return f"'{text}" if looks_like_formula else text


def _open_data_headers(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={OPEN_DATA_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    response["Content-Language"] = settings.LANGUAGE_CODE
    return response


@login_not_required
@require_safe
def declaration_page(request, slug):
    return render(request, "followup/public/declaration.html", {"public": public_plan(slug)})


@login_not_required
@require_safe
def declaration_json(request, slug):
    # Open data speaks the portal's language whatever the visitor picked, so one address always
    # gives the same document.
    with translation.override(settings.LANGUAGE_CODE):
        data = open_data(public_plan(slug))
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Type"] = "application/json; charset=utf-8"
    return _open_data_headers(response)


@login_not_required
@require_safe
def declaration_csv(request, slug):
    """UTF-8 with a byte order mark and `;` between cells: what Excel set to Swedish opens
    without an import dialogue (a comma is the decimal sign there)."""
    with translation.override(settings.LANGUAGE_CODE):
        public = public_plan(slug)
        columns = csv_columns()
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow([csv_cell(header) for _key, header in columns])
        for activity in public.activities:
            record = activity_record(activity)
            writer.writerow([csv_cell(record[key]) for key, _header in columns])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{public.declaration.slug}-aktiviteter.csv"'
    )
    return _open_data_headers(response)
