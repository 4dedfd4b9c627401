"""Server time and query count of the portal's plan pages and the admin changelist.

Builds a throw-away SQLite database, fills one plan with N activities (each with an indicator and
a co-responsible organisation) and renders each page in-process with Django's test client.
Prints figures; asserts nothing. Run: `.venv/bin/python benchmarks/pages.py [N ...]`.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
scratch = tempfile.mkdtemp(prefix="bench-pages-")
os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klockaretorpet.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

RUNS = 7


def build(count: int):
    from tests.factories import (
        ActivityFactory,
        GoalFactory,
        IndicatorFactory,
        OrganisationFactory,
        PlanFactory,
        StrategyFactory,
    )

    plan = PlanFactory()
    goals = [GoalFactory(declaration=plan.declaration, position=number) for number in (1, 2, 3)]
    strategies = [
        StrategyFactory(goal=goal, position=number) for goal in goals for number in (1, 2, 3)
    ]
    partner = OrganisationFactory()
    activities = []
    for index in range(count):
        activity = ActivityFactory(plan=plan, strategy=strategies[index % len(strategies)])
        activity.co_organisations.add(partner)
        IndicatorFactory(activity=activity)
        activities.append(activity)
    return plan, activities


def measure(client: Client, url: str) -> tuple[float, float, float, int]:
    client.get(url)
    timings = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings), min(timings), max(timings), len(queries)


def main(sizes: list[int]) -> None:
    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    call_command("migrate", verbosity=0)
    admin = get_user_model().objects.create_superuser("bench", password="benchmark-only-pw")
    client = Client()
    client.force_login(admin)
    print(f"{'page':<24}{'activities':>11}{'median ms':>11}{'min–max ms':>16}{'queries':>9}")
    for count in sizes:
        plan, activities = build(count)
        pages = {
            "declaration": plan.declaration.get_absolute_url(),
            "goal": activities[0].strategy.goal.get_absolute_url(),
            "activity": activities[0].get_absolute_url(),
            "admin changelist": reverse("admin:plans_activity_changelist")
            + f"?plan__id__exact={plan.pk}",
        }
        for name, url in pages.items():
            median, low, high, queries = measure(client, url)
            print(f"{name:<24}{count:>11}{median:>11.1f}{f'{low:.1f}–{high:.1f}':>16}{queries:>9}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10, 200, 500])
