"""The editing desk's admin pages at a plan's size: server time, queries and HTML size of the
activity list and of a follow-up round's change page with a report for every activity.

The round page inlined every report until issue 16 (82,000 px and 5 s at 300 activities); it
now holds the round's own fields and links, so its figures should not move with the plan.
Run: `python -m benchmarks.admin_pages [--sizes 50 300]`.
"""

import argparse
import datetime
import os
import tempfile

scratch = tempfile.mkdtemp(prefix="bench-admin-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from benchmarks import pages  # noqa: E402


def round_with_reports(plan, activities):
    from followup.models import ActivityReview, Assessment, FollowUp
    from plans.models import ActivityStatus

    follow_up = FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))
    ActivityReview.objects.bulk_create(
        ActivityReview(
            follow_up=follow_up,
            activity=activity,
            assessment=Assessment.ON_TRACK,
            done="Genomfört enligt plan under året.",
            next_step="Fortsätter.",
            new_status=ActivityStatus.ONGOING,
        )
        for activity in activities
    )
    return follow_up


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 300])
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    admin = get_user_model().objects.create_superuser("bench", password="benchmark-only-pw")
    client = Client()
    client.force_login(admin)
    print(f"{'page':<34} {'activities':>10} {'median ms':>10} {'queries':>8} {'HTML kB':>8}")
    for size in args.sizes:
        plan, _first = pages.build(size)
        activities = list(plan.activities.all())
        follow_up = round_with_reports(plan, activities)
        for name, url in {
            "follow-up round (admin change)": reverse(
                "admin:followup_followup_change", args=[follow_up.pk]
            ),
            "activity list (admin, 50 a page)": reverse("admin:plans_activity_changelist")
            + f"?plan__id__exact={plan.pk}",
        }.items():
            figures = pages.measure(client, url)
            html_kb = len(client.get(url).content) / 1000
            print(
                f"{name:<34} {size:>10} {figures.median_ms:>10.1f} {figures.queries:>8} "
                f"{html_kb:>8.1f}"
            )


if __name__ == "__main__":
    main()
