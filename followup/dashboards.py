"""The dashboard: a read-only overview of a declaration's current activity plan — counts per
målbild, incomplete and late activities, indicators against baseline and target.

It lives in the follow-up app because it shows a round's assessments: by default the latest
closed round's, whose figures are final; `?round=open` shows the open round's, labelled
preliminary. The plan's other overviews (timeline, coverage) are `plans.overviews`.

The page loads what it shows in a fixed number of queries, whatever the number of activities,
and counts in Python. That grows with the plan, so the counted and listed part of the page is
cached, rendered, under the plan data's and the follow-up data's generations (any committed
write renders it afresh), the filters, the round choice, the language and today's date. The
filter form stays outside it: it carries the reader's own organisation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from klockaretorpet import permissions
from klockaretorpet.fingerprint import files_fingerprint
from klockaretorpet.numbers import decimal_text
from plans import overviews
from plans.forms import ActivityFilterForm
from plans.models import Activity, ActivityPlan, ActivityStatus, ActivityType, Indicator
from plans.tree_cache import PLAN_DATA
from strategies.models import Goal, Organisation

from .charts import (
    MISSING_COLOUR,
    ORGANISATION_COLOUR,
    TYPE_COLOURS,
    Breakdown,
    breakdown,
)
from .models import AssessmentOutcome, FollowUp, FollowUpState, IndicatorValue
from .reports import CHART_COLOURS, FOLLOW_UP_DATA

BODY_TEMPLATE = "followup/dashboards/_body.html"
TEMPLATES = settings.BASE_DIR / "templates" / "followup" / "dashboards"
# Bounds how long an entry can outlive a code change that the template fingerprint misses.
BODY_TIMEOUT = 6 * 60 * 60
# The GET parameter that asks for the open round's preliminary figures.
ROUND_PARAMETER = "round"
OPEN_ROUND = "open"
# The overview's lists show their first rows; `?alla=<list>` shows one of them whole. At 2,000
# activities the full lists were most of the page's rendering time (and 21,000 px of it).
LIST_START = 10
SHOW_ALL_PARAMETER = "alla"
LIST_SLUGS = ("ofullstandiga", "forsenade", "indikatorer")


@dataclass(frozen=True)
class ShortList:
    """A list of the overview: its first `LIST_START` rows unless the reader asked for it whole.
    `slug` is the list's anchor and the value of `?alla=` that shows it whole."""

    slug: str
    rows: list
    whole: bool
    show_all_query: str

    @property
    def shown(self) -> list:
        return self.rows if self.whole else self.rows[:LIST_START]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def hidden(self) -> int:
        return self.total - len(self.shown)

    def __len__(self) -> int:
        return self.total


def breakdowns(
    activities: list[Activity],
    goals: list[Goal],
    assessments: dict[int, str] | None,
    *,
    preliminary: bool = False,
) -> list[Breakdown]:
    """The activities counted by status, assessment (when there is a round to show:
    `assessments` is then its, `preliminary` when it is still open), type and lead
    organisation."""
    common = {"activities": activities, "goals": goals}
    return [
        _by_status(**common),
        *(
            []
            if assessments is None
            else [_by_assessment(assessments, preliminary=preliminary, **common)]
        ),
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
            (status.value, capfirst(status.label), overviews.STATUS_COLOURS[status], status)
            for status in ActivityStatus
        ],
        **common,
    )


def _by_assessment(assessments: dict[int, str], *, preliminary: bool, **common) -> Breakdown:
    return breakdown(
        slug="assessment",
        title=(
            _("Activities by assessment (preliminary)")
            if preliminary
            else _("Activities by assessment")
        ),
        heading=_("Assessment"),
        key_of=lambda activity: assessments.get(activity.pk, AssessmentOutcome.NOT_REPORTED),
        categories=[
            (
                outcome.value,
                capfirst(outcome.label),
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


@dataclass(frozen=True)
class RoundChoice:
    """Whose assessments the page counts: the latest closed round's unless the reader asked for
    the open round's preliminary figures (and one is open)."""

    closed: FollowUp | None
    open: FollowUp | None
    asked_for_open: bool

    @property
    def shown(self) -> FollowUp | None:
        if self.asked_for_open and self.open:
            return self.open
        return self.closed

    @property
    def preliminary(self) -> bool:
        return self.shown is not None and self.shown == self.open


def round_choice(plan: ActivityPlan, asked_for_open: bool) -> RoundChoice:
    rounds = FollowUp.objects.filter(plan=plan).order_by("-year")
    return RoundChoice(
        closed=rounds.filter(state=FollowUpState.CLOSED).first(),
        open=rounds.filter(state=FollowUpState.OPEN).first(),
        asked_for_open=asked_for_open,
    )


@dataclass(frozen=True)
class Body:
    html: str
    activity_count: int

    def __str__(self) -> str:
        return mark_safe(self.html)  # noqa: S308 (the output of our own template)


def _filter_parameters(request, filter_form) -> list[tuple[str, str]]:
    """The filters the reader asked for, in a fixed order: they name the cached body and go
    into the links that switch between the rounds' figures."""
    return [
        (name, value) for name in filter_form.fields for value in request.GET.getlist(name) if value
    ]


def _body_key(plan, parameters, asked_for_open: bool, show_all: str) -> str:
    generations = f"{PLAN_DATA.current()}:{FOLLOW_UP_DATA.current()}"
    asked = hashlib.sha256(urlencode(parameters).encode()).hexdigest()[:24]
    return ":".join(
        (
            "followup:dashboard",
            generations,
            files_fingerprint(TEMPLATES),
            translation.get_language() or "",
            timezone.localdate().isoformat(),
            str(plan.pk),
            asked,
            OPEN_ROUND if asked_for_open else "",
            show_all,
        )
    )


def _render_body(*, declaration, plan, filter_form, parameters, asked_for_open, show_all) -> Body:
    goals = overviews.goals_of(declaration)
    activities = list(
        filter_form.filter(overviews.plan_activities(plan, declaration)).for_overview()
    )
    choice = round_choice(plan, asked_for_open)
    shown = choice.shown
    assessments = shown.reviews.assessment_by_activity() if shown else None
    today = timezone.localdate()
    asked = [*parameters, *([(ROUND_PARAMETER, OPEN_ROUND)] if asked_for_open else [])]

    def short_list(slug: str, rows: list) -> ShortList:
        return ShortList(
            slug, rows, show_all == slug, urlencode([*asked, (SHOW_ALL_PARAMETER, slug)])
        )

    html = render_to_string(
        BODY_TEMPLATE,
        {
            "declaration": declaration,
            "plan": plan,
            "goals": goals,
            "activity_count": len(activities),
            "breakdowns": breakdowns(
                activities, goals, assessments, preliminary=choice.preliminary
            ),
            "rounds": choice,
            "latest_round": shown,
            "open_query": urlencode([*parameters, (ROUND_PARAMETER, OPEN_ROUND)]),
            "closed_query": urlencode(parameters),
            "reported": sum(1 for activity in activities if activity.pk in (assessments or {})),
            "incomplete": short_list(
                "ofullstandiga", [activity for activity in activities if activity.missing_parts]
            ),
            "late": short_list(
                "forsenade", [activity for activity in activities if activity.late_reasons(today)]
            ),
            "indicators": short_list("indikatorer", indicator_rows(plan, activities)),
            "today": today,
        },
    )
    return Body(html, len(activities))


def dashboard_body(request, *, declaration, plan, filter_form) -> Body:
    """The counted and listed part of the page, from the cache when nothing has changed.

    A transaction that has written reads its own writes, which others cannot see yet, so it
    renders without the cache."""
    parameters = _filter_parameters(request, filter_form)
    asked_for_open = request.GET.get(ROUND_PARAMETER) == OPEN_ROUND
    show_all = request.GET.get(SHOW_ALL_PARAMETER, "")
    show_all = show_all if show_all in LIST_SLUGS else ""

    def render_body():
        return _render_body(
            declaration=declaration,
            plan=plan,
            filter_form=filter_form,
            parameters=parameters,
            asked_for_open=asked_for_open,
            show_all=show_all,
        )

    if PLAN_DATA.pending() or FOLLOW_UP_DATA.pending():
        return render_body()
    key = _body_key(plan, parameters, asked_for_open, show_all)
    body = cache.get(key)
    if body is None:
        body = render_body()
        cache.set(key, body, BODY_TIMEOUT)
    return body


@permissions.allowed_when(permissions.can_view)
@require_safe
def dashboard(request, slug):
    declaration, plan = overviews.declaration_and_plan(slug)
    # The declaration page's filters, as GET parameters: a filtered overview can be shared.
    filter_form = ActivityFilterForm(request.GET or None)
    body = dashboard_body(request, declaration=declaration, plan=plan, filter_form=filter_form)
    return render(
        request,
        "followup/dashboards/dashboard.html",
        {
            "declaration": declaration,
            "plan": plan,
            "activity_count": body.activity_count,
            "filter_form": filter_form,
            "my_organisation": Organisation.objects.filter(memberships__user=request.user).first(),
            "body": body,
            "preliminary_asked": request.GET.get(ROUND_PARAMETER) == OPEN_ROUND,
            "round_parameter": ROUND_PARAMETER,
            "open_round": OPEN_ROUND,
            "page": "dashboard",
        },
    )
