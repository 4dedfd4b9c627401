"""Server time and query count of the portal's pages against the naive baseline.

Each page is rendered in-process through Django's test client: the first request (cold cache)
once, then several more whose median and range are reported; and the first request after one
activity is edited through the ORM, as the portal saves it (so the signals that start new
generations fire). Used by `python -m benchmarks`.
"""

import datetime
import statistics
import time
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

RUNS = 7
STRATEGIES_PER_GOAL = 3
ORGANISATIONS = 6


@dataclass
class PageFigures:
    first_ms: float
    median_ms: float
    low_ms: float
    high_ms: float
    queries: int


def build(count: int):
    """A declaration with 3 målbilder, 9 strategies and one plan of `count` activities.

    Rows are written in bulk (no history), as the pages read the same rows either way and a
    2,000-activity plan is then built in seconds rather than minutes.
    """
    from plans.models import Activity, ActivityType, Indicator
    from tests.factories import (
        DeclarationFactory,
        GoalFactory,
        OrganisationFactory,
        PlanFactory,
        StrategyFactory,
    )

    declaration = DeclarationFactory(
        slug=f"bench-{count}", title=f"Stadsdel med {count} aktiviteter"
    )
    plan = PlanFactory(declaration=declaration)
    goals = [GoalFactory(declaration=declaration, position=number) for number in (1, 2, 3)]
    strategies = [
        StrategyFactory(goal=goal, position=number)
        for goal in goals
        for number in range(1, STRATEGIES_PER_GOAL + 1)
    ]
    organisations = [OrganisationFactory() for _ in range(ORGANISATIONS)]
    types = list(ActivityType)
    activities = []
    for index in range(count):
        strategy = strategies[index % len(strategies)]
        prefix = f"{strategy.goal.position}.{strategy.position}"
        serial = index // len(strategies) + 1
        activities.append(
            Activity(
                plan=plan,
                strategy=strategy,
                reference_code=f"{prefix}.{serial}",
                code_prefix=prefix,
                code_serial=serial,
                title=f"Aktivitet {index + 1} för trygghet och boendekraft i stadsdelen",
                description="Beskrivning av aktiviteten. " * 5,
                activity_type=types[index % len(types)],
                planned_start=datetime.date(2024, 1 + index % 12, 1),
                planned_end=datetime.date(2026, 1 + index % 12, 1),
                schedule_note="HT 2024" if index % 5 == 0 else "",
                lead_organisation=organisations[index % ORGANISATIONS],
                responsible_unit="Enheten för stadsdelsutveckling",
                measurability="Antal genomförda insatser.",
            )
        )
    Activity.objects.bulk_create(activities, batch_size=500)
    Through = Activity.co_organisations.through
    Through.objects.bulk_create(
        [
            Through(activity=activity, organisation=organisations[(index + 1) % ORGANISATIONS])
            for index, activity in enumerate(activities)
        ],
        batch_size=500,
    )
    Indicator.objects.bulk_create(
        [
            Indicator(
                activity=activity,
                name="Andel nöjda deltagare",
                unit="%",
                baseline_value=50,
                baseline_year=2023,
                target_value=70,
                target_year=2026,
            )
            for activity in activities
        ],
        batch_size=500,
    )
    return plan, activities[0]


def page_urls(plan, activity) -> dict[str, str]:
    slug = plan.declaration.slug
    return {
        "declaration": reverse("plans:declaration-detail", args=[slug]),
        "naive baseline": reverse("naive-declaration", args=[slug]),
        "dashboard": reverse("followup:dashboard", args=[slug]),
        "activity": reverse("plans:activity-detail", args=[activity.pk]),
        "admin changelist": reverse("admin:plans_activity_changelist")
        + f"?plan__id__exact={plan.pk}",
    }


def measure(client: Client, url: str, runs: int = RUNS) -> PageFigures:
    start = time.perf_counter()
    response = client.get(url)
    first = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return PageFigures(first, statistics.median(timings), min(timings), max(timings), len(queries))


EDITS = 5


def measure_after_edit(client: Client, url: str, activity, runs: int = EDITS) -> PageFigures:
    """The first request after each of `runs` edits of one activity's title, each saved alone
    (committed at once), as an editor's save in the portal is."""
    from plans.models import Activity

    client.get(url)  # warm, as a page is between two edits
    timings = []
    for run in range(runs):
        edited = Activity.objects.get(pk=activity.pk)
        edited.title = f"{edited.title.split(' (')[0]} (ändrad {run + 1})"
        edited.save()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return PageFigures(
        timings[0], statistics.median(timings), min(timings), max(timings), len(queries)
    )
