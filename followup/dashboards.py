"""Read-only overviews of a declaration's current activity plan: the dashboard (counts, gaps,
late activities, indicators), the timeline (tidplan) and the coverage matrix.

They live in the follow-up app because the dashboard shows the latest round's assessments.
Each page loads what it shows in a fixed number of queries, whatever the number of activities,
and counts in Python. Charts are inline SVG with integer coordinates computed here (the CSP
allows no inline styles), always beside a table with the same numbers.
"""

from __future__ import annotations

import calendar
import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from klockaretorpet import permissions
from plans.forms import ActivityFilterForm
from plans.models import Activity, ActivityPlan, ActivityStatus, ActivityType, Indicator
from strategies.models import (
    Goal,
    IntentDeclaration,
    Organisation,
    ProgrammeGoal,
    Strategy,
    SuccessFactor,
)

from .models import Assessment, FollowUp, IndicatorValue
from .reports import CHART_COLOURS, NOT_REPORTED

# Fills of the bars (SVG attributes); the words and numbers are always shown beside them.
STATUS_COLOURS = {
    ActivityStatus.PLANNED: "#6b7785",
    ActivityStatus.ONGOING: "#0b4a7a",
    ActivityStatus.DONE: "#2e7d32",
    ActivityStatus.PAUSED: "#f2b705",
    ActivityStatus.CANCELLED: "#b0b7bf",
}
TYPE_COLOURS = {
    ActivityType.COMMISSIONED: "#0b4a7a",
    ActivityType.EXISTING_BUDGET: "#3d8bc4",
    ActivityType.INVESTMENT: "#6a3d9a",
}
MISSING_COLOUR = "#b0b7bf"
ORGANISATION_COLOUR = "#0b4a7a"
LATE_COLOUR = "#c62828"
INK = "#1b1f24"

BAR_MAX = 280  # length of the longest bar in a count chart
BAR_ROW = 36  # height of one category: its words above, its bar below
BAR_HEIGHT = 12
TIMELINE_WIDTH = 600  # viewBox width of a timeline row; rows and scale share it
TIMELINE_ROW = 22
TIMELINE_SCALE = 42


def _declaration_and_plan(slug: str) -> tuple[IntentDeclaration, ActivityPlan]:
    declaration = get_object_or_404(IntentDeclaration.objects.select_related("district"), slug=slug)
    plan = ActivityPlan.objects.filter(declaration=declaration).current()
    if plan is None:
        raise Http404(_("This declaration has no activity plan yet."))
    plan.declaration = declaration
    return declaration, plan


def _goals(declaration: IntentDeclaration) -> list[Goal]:
    return list(
        declaration.goals.order_by("position").prefetch_related(
            Prefetch("strategies", queryset=Strategy.objects.order_by("position"))
        )
    )


def _plan_activities(plan: ActivityPlan, declaration: IntentDeclaration):
    # Only activities under the declaration's own strategies: every count is per målbild.
    return plan.activities.filter(strategy__goal__declaration=declaration).in_code_order()


# --- the dashboard -------------------------------------------------------------------------


@dataclass
class Bar:
    """One bar of a count chart, with every coordinate an integer."""

    label: str
    count: int
    colour: str
    width: int = 0
    y: int = 0

    @property
    def label_y(self) -> int:
        return self.y + 13

    @property
    def bar_y(self) -> int:
        return self.y + 18

    @property
    def count_x(self) -> int:
        return self.width + 6

    @property
    def count_y(self) -> int:
        return self.y + 29


@dataclass
class Chart:
    label: str
    bars: list[Bar]
    width: int = BAR_MAX + 50
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return len(self.bars) * BAR_ROW + 4


def bar_chart(title: str, bars: list[Bar]) -> Chart:
    highest = max([bar.count for bar in bars] + [1])
    for row, bar in enumerate(bars):
        bar.width = round(BAR_MAX * bar.count / highest)
        bar.y = row * BAR_ROW
    described = ", ".join(f"{bar.label} {bar.count}" for bar in bars)
    return Chart(label=f"{title}: {described}", bars=bars)


@dataclass
class CountRow:
    key: str
    label: str
    colour: str
    per_goal: list[int]
    badge: str = ""  # the portal's badge class for the words, when there is one

    @property
    def total(self) -> int:
        return sum(self.per_goal)


@dataclass
class Breakdown:
    """The plan's activities counted by one property, per målbild and in total."""

    slug: str
    title: str
    heading: str  # the first column's heading
    rows: list[CountRow]
    goal_totals: list[int]
    chart: Chart = field(init=False)

    def __post_init__(self) -> None:
        self.chart = bar_chart(
            self.title, [Bar(row.label, row.total, row.colour) for row in self.rows]
        )

    @property
    def total(self) -> int:
        return sum(self.goal_totals)


def breakdown(
    *,
    slug: str,
    title: str,
    heading: str,
    activities: Iterable[Activity],
    goals: list[Goal],
    key_of: Callable[[Activity], str],
    categories: list[tuple[str, str, str, str]],
    keep_empty: bool = True,
) -> Breakdown:
    """Count `activities` by `key_of` for each (key, label, colour, badge) of `categories`."""
    column = {goal.pk: index for index, goal in enumerate(goals)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(goals))
    goal_totals = [0] * len(goals)
    for activity in activities:
        index = column[activity.strategy.goal_id]
        counts[key_of(activity)][index] += 1
        goal_totals[index] += 1
    rows = [
        CountRow(key, label, colour, list(counts.get(key, [0] * len(goals))), badge)
        for key, label, colour, badge in categories
        if keep_empty or key in counts
    ]
    return Breakdown(slug, title, heading, rows, goal_totals)


@dataclass
class IndicatorRow:
    indicator: Indicator
    activity: Activity
    latest: Decimal | None
    latest_year: int | None

    @property
    def baseline_text(self) -> str:
        return _with_year(self.indicator.baseline_value, self.indicator.baseline_year)

    @property
    def target_text(self) -> str:
        return _with_year(self.indicator.target_value, self.indicator.target_year)

    @property
    def latest_text(self) -> str:
        return _with_year(self.latest, self.latest_year)

    @property
    def progress(self) -> int | None:
        return self.indicator.progress(self.latest)

    @property
    def progress_width(self) -> int:
        return max(0, min(100, self.progress or 0))

    @property
    def verdict(self) -> str:
        return self.indicator.verdict(self.latest)


def _number(value: Decimal | None) -> str:
    """“12,5” in Swedish, “12.5” in English; no trailing zeros."""
    if value is None:
        return "–"
    whole = value == value.to_integral_value()
    return number_format(value.quantize(Decimal(1)) if whole else value.normalize())


def _with_year(value: Decimal | None, year: int | None) -> str:
    text = _number(value)
    return f"{text} ({year})" if value is not None and year else text


@permissions.allowed_when(permissions.can_view)
@require_safe
def dashboard(request, slug):
    declaration, plan = _declaration_and_plan(slug)
    goals = _goals(declaration)
    # The declaration page's filters, as GET parameters: a filtered overview can be shared.
    filter_form = ActivityFilterForm(request.GET or None)
    activities = list(
        filter_form.filter(_plan_activities(plan, declaration))
        .select_related("strategy__goal", "lead_organisation")
        .prefetch_related(
            Prefetch("indicators", queryset=Indicator.objects.order_by("position", "pk"))
        )
    )
    today = timezone.localdate()
    latest_round = FollowUp.objects.latest_of(plan)
    assessments = latest_round.reviews.assessment_by_activity() if latest_round else {}
    organisations = {
        activity.lead_organisation_id: activity.lead_organisation.display_name
        for activity in activities
        if activity.lead_organisation_id
    }
    common = {"activities": activities, "goals": goals}
    breakdowns = [
        breakdown(
            slug="status",
            title=_("Activities by status"),
            heading=_("Status"),
            key_of=lambda activity: activity.status,
            categories=[
                (status.value, str(status.label).capitalize(), STATUS_COLOURS[status], status)
                for status in ActivityStatus
            ],
            **common,
        )
    ]
    if latest_round is not None:
        breakdowns.append(
            breakdown(
                slug="assessment",
                title=_("Activities by assessment"),
                heading=_("Assessment"),
                key_of=lambda activity: assessments.get(activity.pk, NOT_REPORTED),
                categories=[
                    (key, str(label).capitalize(), CHART_COLOURS[key], badge)
                    for key, label, badge in [
                        *((a.value, a.label, a.value) for a in Assessment),
                        (NOT_REPORTED, _("not reported"), "unreported"),
                    ]
                ],
                **common,
            )
        )
    breakdowns += [
        breakdown(
            slug="activity-type",
            title=_("Activities by type"),
            heading=_("Type"),
            key_of=lambda activity: activity.activity_type,
            categories=[
                *(
                    (kind.value, str(kind.short_label), TYPE_COLOURS[kind], "")
                    for kind in ActivityType
                ),
                ("", _("No type"), MISSING_COLOUR, ""),
            ],
            keep_empty=False,
            **common,
        ),
        breakdown(
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
            **common,
        ),
    ]
    latest_values = IndicatorValue.objects.latest_per_indicator(plan)
    indicators = [
        IndicatorRow(indicator, activity, *latest_values.get(indicator.pk, (None, None)))
        for activity in activities
        for indicator in activity.indicators.all()
    ]
    reported = sum(1 for activity in activities if activity.pk in assessments)
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
            "breakdowns": breakdowns,
            "latest_round": latest_round,
            "reported": reported,
            "incomplete": [activity for activity in activities if activity.missing_parts],
            "late": [activity for activity in activities if activity.late_reasons(today)],
            "indicators": indicators,
            "today": today,
            "page": "dashboard",
        },
    )


# --- the timeline --------------------------------------------------------------------------


@dataclass
class TimelineScale:
    """The plan period on a horizontal axis of TIMELINE_WIDTH units, month by month."""

    start_year: int
    end_year: int
    today: datetime.date
    width: int = TIMELINE_WIDTH
    height: int = TIMELINE_SCALE
    row_height: int = TIMELINE_ROW

    @property
    def months(self) -> int:
        return (self.end_year - self.start_year + 1) * 12

    def x(self, year: int, month: int, fraction: float = 0.0) -> int:
        index = (year - self.start_year) * 12 + month - 1 + fraction
        return max(0, min(self.width, round(index * self.width / self.months)))

    @cached_property
    def years(self) -> list[dict]:
        years = []
        for year in range(self.start_year, self.end_year + 1):
            x, end = self.x(year, 1), self.x(year + 1, 1)
            quarters = [
                {
                    "x": self.x(year, 1 + 3 * q),
                    "label_x": (self.x(year, 1 + 3 * q) + self.x(year, 4 + 3 * q)) // 2,
                    "label": _("Q%(number)d") % {"number": q + 1},
                }
                for q in range(4)
            ]
            years.append({"year": year, "x": x, "label_x": (x + end) // 2, "quarters": quarters})
        return years

    @property
    def show_quarter_labels(self) -> bool:
        return self.end_year - self.start_year < 8

    @cached_property
    def today_x(self) -> int | None:
        if not self.start_year <= self.today.year <= self.end_year:
            return None
        days = calendar.monthrange(self.today.year, self.today.month)[1]
        return self.x(self.today.year, self.today.month, (self.today.day - 1) / days)

    def bar(self, start: datetime.date | None, end: datetime.date | None) -> dict | None:
        """x and width of a bar from the start month to the end of the end month."""
        if start is None and end is None:
            return None
        start, end = start or end, end or start
        if end.year < self.start_year or start.year > self.end_year:
            return {"outside": True}
        x = self.x(start.year, start.month)
        # The end month is included: the bar runs to the start of the following month.
        right = self.x(end.year, end.month + 1)
        width = max(right - x, 2)
        return {
            "x": x,
            "width": width,
            "right": x + width,
            "before": start.year < self.start_year,
            "after": end.year > self.end_year,
        }


def timeline_years(plan: ActivityPlan, activities: list[Activity], today: datetime.date):
    """The plan period; an open-ended plan runs to its last planned end or next year."""
    if plan.end_year is not None:
        return plan.start_year, plan.end_year
    ends = [activity.planned_end.year for activity in activities if activity.planned_end]
    return plan.start_year, max([*ends, today.year + 1, plan.start_year])


@permissions.allowed_when(permissions.can_view)
@require_safe
def timeline(request, slug):
    declaration, plan = _declaration_and_plan(slug)
    goals = _goals(declaration)
    activities = list(_plan_activities(plan, declaration))
    today = timezone.localdate()
    scale = TimelineScale(*timeline_years(plan, activities, today), today=today)
    by_strategy = defaultdict(list)
    for activity in activities:
        activity.bar = scale.bar(activity.planned_start, activity.planned_end)
        activity.bar_colour = (
            LATE_COLOUR if activity.late_reasons(today) else STATUS_COLOURS[activity.status]
        )
        by_strategy[activity.strategy_id].append(activity)
    for goal in goals:
        for strategy in goal.strategies.all():
            strategy.plan_activities = by_strategy.get(strategy.pk, [])
    return render(
        request,
        "followup/dashboards/timeline.html",
        {
            "declaration": declaration,
            "plan": plan,
            "goals": goals,
            "scale": scale,
            "late_count": sum(1 for activity in activities if activity.late_reasons(today)),
            "activity_count": len(activities),
            "today": today,
            "page": "timeline",
        },
    )


# --- the coverage matrix -------------------------------------------------------------------


@dataclass
class CoverageRow:
    label: str
    cells: list[int]
    without: int  # activities linked to none of the columns
    total: int
    is_goal: bool = False
    url: str = ""

    @property
    def empty_cells(self) -> int:
        return sum(1 for count in self.cells if count == 0)


@dataclass
class CoverageMatrix:
    slug: str
    title: str
    caption: str
    without_heading: str
    columns: list
    groups: list[tuple[CoverageRow, list[CoverageRow]]]
    totals: CoverageRow

    @property
    def empty_cells(self) -> int:
        return sum(row.empty_cells for _goal, strategies in self.groups for row in strategies)

    @property
    def cell_count(self) -> int:
        return sum(len(strategies) for _goal, strategies in self.groups) * len(self.columns)


def coverage_matrix(
    *,
    slug: str,
    title: str,
    caption: str,
    without_heading: str,
    goals: list[Goal],
    columns: list,
    strategy_of: dict[int, int],
    links: Iterable[tuple[int, int]],
) -> CoverageMatrix:
    """Count activities per strategy and column; `links` are (activity, column item) pairs."""
    linked = defaultdict(set)
    for activity_id, item_id in links:
        if activity_id in strategy_of:
            linked[activity_id].add(item_id)
    cells: dict[int, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    without: Counter = Counter()
    for activity_id, strategy_id in strategy_of.items():
        totals[strategy_id] += 1
        if not linked[activity_id]:
            without[strategy_id] += 1
        for item_id in linked[activity_id]:
            cells[strategy_id][item_id] += 1

    def row(label: str, strategy_ids: list[int], *, is_goal=False, url="") -> CoverageRow:
        return CoverageRow(
            label,
            [sum(cells[s][column.pk] for s in strategy_ids) for column in columns],
            sum(without[s] for s in strategy_ids),
            sum(totals[s] for s in strategy_ids),
            is_goal=is_goal,
            url=url,
        )

    groups = []
    every_strategy = []
    for goal in goals:
        strategies = list(goal.strategies.all())
        every_strategy += [strategy.pk for strategy in strategies]
        groups.append(
            (
                row(
                    _("Goal %(number)d: %(title)s")
                    % {"number": goal.position, "title": goal.title},
                    [strategy.pk for strategy in strategies],
                    is_goal=True,
                ),
                [
                    row(
                        f"{strategy.number} {strategy.title}",
                        [strategy.pk],
                        url=strategy.get_absolute_url(),
                    )
                    for strategy in strategies
                ],
            )
        )
    return CoverageMatrix(
        slug,
        title,
        caption,
        without_heading,
        columns,
        groups,
        row(_("All goals"), every_strategy),
    )


@permissions.allowed_when(permissions.can_view)
@require_safe
def coverage(request, slug):
    declaration, plan = _declaration_and_plan(slug)
    goals = _goals(declaration)
    activities = _plan_activities(plan, declaration)
    strategy_of = dict(activities.values_list("pk", "strategy_id"))
    factor_links = Activity.success_factors.through.objects.filter(activity__plan=plan).values_list(
        "activity_id", "successfactor_id"
    )
    programme_links = Activity.programme_goals.through.objects.filter(
        activity__plan=plan
    ).values_list("activity_id", "programmegoal_id")
    common = {"goals": goals, "strategy_of": strategy_of}
    matrices = [
        coverage_matrix(
            slug="success-factors",
            title=_("Strategies and critical success factors"),
            caption=_("Activities per strategy and critical success factor"),
            without_heading=_("No success factor"),
            columns=list(SuccessFactor.objects.all()),
            links=factor_links,
            **common,
        ),
        coverage_matrix(
            slug="programme-goals",
            title=_("Strategies and programme goals"),
            caption=_("Activities per strategy and programme goal"),
            without_heading=_("No programme goal"),
            columns=list(ProgrammeGoal.objects.all()),
            links=programme_links,
            **common,
        ),
    ]
    return render(
        request,
        "followup/dashboards/coverage.html",
        {
            "declaration": declaration,
            "plan": plan,
            "goals": goals,
            "matrices": matrices,
            "activity_count": len(strategy_of),
            "page": "coverage",
        },
    )
