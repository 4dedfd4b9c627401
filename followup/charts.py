"""Count charts of the dashboard: a plan's activities counted by one property, per målbild and
in total, drawn as inline SVG bars with integer coordinates (the CSP allows no inline styles),
always beside a table with the same numbers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from plans.models import Activity, ActivityType
from strategies.models import Goal

TYPE_COLOURS = {
    ActivityType.COMMISSIONED: "#0b4a7a",
    ActivityType.EXISTING_BUDGET: "#3d8bc4",
    ActivityType.INVESTMENT: "#6a3d9a",
}
MISSING_COLOUR = "#b0b7bf"
ORGANISATION_COLOUR = "#0b4a7a"

BAR_MAX = 280  # length of the longest bar in a count chart
BAR_ROW = 36  # height of one category: its words above, its bar below
BAR_HEIGHT = 12


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
