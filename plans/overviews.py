"""Read-only overviews of a declaration's current activity plan: the timeline (tidplan) and the
coverage matrix (strategies against success factors and programme goals).

Each page loads what it shows in a fixed number of queries, whatever the number of activities,
and counts in Python. The timeline is inline SVG with integer coordinates computed here (the
CSP allows no inline styles), always beside a table with the same facts. The follow-up app's
dashboard shares the page lookups and the status colours, and adds itself to the overviews'
navigation with `add_overview_page`, so that plans need not know it.
"""

from __future__ import annotations

import calendar
import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from strategies.models import Goal, IntentDeclaration, ProgrammeGoal, SuccessFactor

from .models import Activity, ActivityPlan, ActivityQuerySet, ActivityStatus

# Fills of the bars (SVG attributes); the words and numbers are always shown beside them.
STATUS_COLOURS = {
    ActivityStatus.PLANNED: "#6b7785",
    ActivityStatus.ONGOING: "#0b4a7a",
    ActivityStatus.DONE: "#2e7d32",
    ActivityStatus.PAUSED: "#f2b705",
    ActivityStatus.CANCELLED: "#b0b7bf",
}
LATE_COLOUR = "#c62828"

TIMELINE_WIDTH = 600  # viewBox width of a timeline row; rows and scale share it
TIMELINE_ROW = 22
TIMELINE_SCALE = 42


# --- the pages and their common lookups ---------------------------------------------------------


@dataclass(frozen=True)
class OverviewPage:
    """One entry of the overviews' navigation; `name` is the `page` its view renders with."""

    name: str
    label: str
    url_name: str  # reversed with the declaration's slug
    position: int


OVERVIEW_PAGES: list[OverviewPage] = [
    OverviewPage("timeline", gettext_lazy("Timeline"), "plans:timeline", 20),
    OverviewPage("coverage", gettext_lazy("Coverage"), "plans:coverage", 30),
]


def add_overview_page(page: OverviewPage) -> None:
    """Called by another app when it is ready, to list a page of its own among the overviews."""
    if page not in OVERVIEW_PAGES:
        OVERVIEW_PAGES.append(page)
        OVERVIEW_PAGES.sort(key=lambda entry: entry.position)


# --- the pages' common lookups ---------------------------------------------------------------


def declaration_and_plan(slug: str) -> tuple[IntentDeclaration, ActivityPlan]:
    """The declaration and its current plan, or 404."""
    declaration = get_object_or_404(IntentDeclaration.objects.select_related("district"), slug=slug)
    plan = ActivityPlan.objects.filter(declaration=declaration).current()
    if plan is None:
        raise Http404(_("This declaration has no activity plan yet."))
    plan.declaration = declaration
    return declaration, plan


def goals_of(declaration: IntentDeclaration) -> list[Goal]:
    """The declaration's goals in order, each with its strategies in order."""
    return list(declaration.goals.order_by("position").prefetch_related("strategies"))


def plan_activities(plan: ActivityPlan, declaration: IntentDeclaration) -> ActivityQuerySet:
    # Only activities under the declaration's own strategies: every count is per målbild.
    return plan.activities.filter(strategy__goal__declaration=declaration).in_code_order()


# --- the timeline ------------------------------------------------------------------------------


@dataclass
class TimelineScale:
    """The plan period on a horizontal axis of TIMELINE_WIDTH units, month by month."""

    start_year: int
    end_year: int
    today: datetime.date
    width: int = TIMELINE_WIDTH
    height: int = TIMELINE_SCALE
    row_height: int = TIMELINE_ROW

    @classmethod
    def for_plan(
        cls, plan: ActivityPlan, activities: list[Activity], today: datetime.date
    ) -> TimelineScale:
        """The plan period; an open-ended plan runs to its last planned end or next year."""
        if plan.end_year is not None:
            return cls(plan.start_year, plan.end_year, today=today)
        ends = [activity.planned_end.year for activity in activities if activity.planned_end]
        return cls(plan.start_year, max([*ends, today.year + 1, plan.start_year]), today=today)

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


def place_on_timeline(
    goals: list[Goal], activities: list[Activity], scale: TimelineScale
) -> list[Activity]:
    """Give each activity its bar and colour and each strategy its `plan_activities`; returns
    the late ones."""
    by_strategy = defaultdict(list)
    late = []
    for activity in activities:
        activity.bar = scale.bar(activity.planned_start, activity.planned_end)
        is_late = bool(activity.late_reasons(scale.today))
        activity.bar_colour = LATE_COLOUR if is_late else STATUS_COLOURS[activity.status]
        if is_late:
            late.append(activity)
        by_strategy[activity.strategy_id].append(activity)
    for goal in goals:
        for strategy in goal.strategies.all():
            strategy.plan_activities = by_strategy.get(strategy.pk, [])
    return late


# --- the coverage matrix -----------------------------------------------------------------------


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


def coverage_matrices(
    plan: ActivityPlan, goals: list[Goal], strategy_of: dict[int, int]
) -> list[CoverageMatrix]:
    """The plan's strategies against the critical success factors and the programme goals;
    `strategy_of` maps each activity counted to its strategy."""
    factor_links = Activity.success_factors.through.objects.filter(activity__plan=plan).values_list(
        "activity_id", "successfactor_id"
    )
    programme_links = Activity.programme_goals.through.objects.filter(
        activity__plan=plan
    ).values_list("activity_id", "programmegoal_id")
    common = {"goals": goals, "strategy_of": strategy_of}
    return [
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
