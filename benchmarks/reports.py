"""Time, peak memory and page count of the follow-up report PDF, against a naive rendering.

Builds a throw-away SQLite database with a plan of N activities (default: 50 and 500), each with
two indicators and a review in a closed round, and renders the round's report (from its version's
snapshot, as the portal does) several times. In the same run it renders the same snapshot the
way most people would first write it (`naive_report_pdf`: one HTML table per strategy, a column
per field, WeasyPrint's default styles, no tagging, no contents, no summaries) and prints the
ratio of the two times: the yardstick is the same machine, the same library and the same data,
so the ratio does not depend on how fast this machine is. Peak memory is the process's resident
high-water mark during one render (Linux), reset before it. Prints figures and the issue's
targets; asserts nothing. Run: `.venv/bin/python benchmarks/reports.py [N ...] [--runs R]
[--at-limits]`.
"""

import argparse
import ctypes
import gc
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
# benchmarks/import_export.py has the library's name: with this folder on the path, Django's app
# loading would import that script instead of django-import-export.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
scratch = tempfile.mkdtemp(prefix="bench-reports-")
os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klockaretorpet.settings")

import django  # noqa: E402

# WhiteNoise looks for collected static files, which a throw-away run never has.
warnings.filterwarnings("ignore", "No directory at", UserWarning)

django.setup()

import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

import pypdf  # noqa: E402
import weasyprint  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.template import Context, Engine  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

from followup.models import ActivityReview, Assessment, FollowUp, IndicatorValue  # noqa: E402
from followup.reports import followup_report_pdf  # noqa: E402
from followup.rounds import close_round  # noqa: E402
from followup.versions import load_snapshot  # noqa: E402
from plans.models import Activity, ActivityStatus, ActivityType, Indicator  # noqa: E402

# The full report's time as a share of the naive rendering's, at 500 activities; its peak.
TARGET_RATIO = {500: 0.3}
TARGET_PEAK_MB = 300
NAIVE_TEMPLATES = Engine(dirs=[HERE / "templates"])
TARGET_CACHED_MS = 50
CACHED_RUNS = 7


PROSE = (
    "Boende, föreningar och skolan genomför trygghetsvandringar tillsammans med fastighetsägaren "
    "och polisen, och resultatet följs upp vid nästa områdesmöte. "
)


def prose(length: int) -> str:
    """Text of exactly `length` characters, in sentences, as a long report would be written."""
    return (PROSE * (length // len(PROSE) + 1))[:length]


def at_limit(model, name: str, fallback: str, limits: bool) -> str:
    """The field's text at its length limit (`--at-limits`), else the usual short text."""
    limit = model._meta.get_field(name).max_length
    return prose(limit) if limits and limit else fallback


def build(count: int, *, limits: bool = False) -> FollowUp:
    from tests.factories import (
        DeclarationFactory,
        GoalFactory,
        OrganisationFactory,
        PlanFactory,
        StrategyFactory,
    )

    declaration = DeclarationFactory()
    strategies = [
        StrategyFactory(goal=goal, position=number)
        for goal in [GoalFactory(declaration=declaration, position=n) for n in (1, 2, 3)]
        for number in (1, 2, 3)
    ]
    organisations = [OrganisationFactory() for _ in range(6)]
    plan = PlanFactory(declaration=declaration, start_year=2024, end_year=2030)
    user = get_user_model().objects.create_user(f"bench{count}", first_name="Bänk")
    activities = []
    for index in range(count):
        strategy = strategies[index % len(strategies)]
        serial = index // len(strategies) + 1
        code = f"{strategy.goal.position}.{strategy.position}.{serial}"
        activities.append(
            Activity(
                plan=plan,
                strategy=strategy,
                reference_code=code,
                code_prefix=code.rsplit(".", 1)[0],
                code_serial=serial,
                title=at_limit(
                    Activity,
                    "title",
                    f"Aktivitet {code}: trygghetsvandring med boende och föreningar",
                    limits,
                ),
                description=at_limit(
                    Activity,
                    "description",
                    "Genomförs tillsammans med boende, föreningar och skolan.",
                    limits,
                ),
                activity_type=list(ActivityType)[index % 3],
                planned_start=datetime.date(2024, index % 12 + 1, 1),
                planned_end=datetime.date(2026, index % 12 + 1, 1),
                lead_organisation=organisations[index % len(organisations)],
                schedule_note=at_limit(Activity, "schedule_note", "", limits),
                responsible_unit=at_limit(
                    Activity, "responsible_unit", "Områdesförvaltare", limits
                ),
                measurability=at_limit(
                    Activity,
                    "measurability",
                    "Antal genomförda träffar och upplevd trygghet.",
                    limits,
                ),
                status=ActivityStatus.ONGOING,
            )
        )
    activities = Activity.objects.bulk_create(activities)
    indicators = Indicator.objects.bulk_create(
        Indicator(
            activity=activity,
            position=position,
            name=at_limit(Indicator, "name", name, limits),
            unit=at_limit(Indicator, "unit", unit, limits),
            baseline_value=Decimal(base),
            baseline_year=2023,
            target_value=Decimal(target),
            target_year=2028,
        )
        for activity in activities
        for position, (name, unit, base, target) in enumerate(
            [("Trygga boende", "%", "58.5", "70"), ("Deltagare", "st", "40", "120")], start=1
        )
    )
    follow_up = FollowUp.objects.create(
        plan=plan, year=2025, deadline=datetime.date(2026, 1, 31), meeting_date=None
    )
    assessments = list(Assessment)
    reviews = ActivityReview.objects.bulk_create(
        ActivityReview(
            follow_up=follow_up,
            activity=activity,
            assessment=assessments[index % 3],
            done=at_limit(
                ActivityReview,
                "done",
                "Tre träffar genomförda med sammanlagt fyrtio deltagare.",
                limits,
            ),
            deviations=at_limit(
                ActivityReview,
                "deviations",
                "" if index % 3 == 0 else "Lokalen blev klar senare än planerat.",
                limits,
            ),
            next_step=at_limit(
                ActivityReview,
                "next_step",
                "Fortsätta under hösten och bjuda in fler föreningar.",
                limits,
            ),
            new_status=ActivityStatus.ONGOING,
            reviewed_by=user,
        )
        for index, activity in enumerate(activities)
    )
    review_of = {review.activity_id: review for review in reviews}
    IndicatorValue.objects.bulk_create(
        IndicatorValue(
            review=review_of[indicator.activity_id], indicator=indicator, actual_value=61
        )
        for indicator in indicators
    )
    close_round(follow_up, user=user)
    return FollowUp.objects.get(pk=follow_up.pk)


def peak_of(operation) -> tuple[float, float | None, object]:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        measured = True
    except OSError:
        measured = False
    start = time.perf_counter()
    result = operation()
    seconds = time.perf_counter() - start
    peak = None
    if measured:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
    return seconds, peak, result


def naive_report_pdf(follow_up: FollowUp) -> bytes:
    """The round's report as a first draft would print it: the snapshot grouped into one table
    per strategy, every field a column, the browser-like default styles."""
    snapshot = load_snapshot(follow_up.version.plan_data())
    goals = [{**goal, "strategies": []} for goal in snapshot["goals"]]
    by_number = {}
    for goal, data in zip(goals, snapshot["goals"], strict=True):
        for strategy in data["strategies"]:
            by_number[strategy["number"]] = {**strategy, "activities": []}
            goal["strategies"].append(by_number[strategy["number"]])
    for activity in snapshot["activities"]:
        by_number[activity["strategy"]]["activities"].append(activity)
    html = NAIVE_TEMPLATES.get_template("naive/report.html").render(
        Context({**snapshot, "goals": goals})
    )
    return weasyprint.HTML(string=html).write_pdf()


def measured(render, runs: int) -> tuple[float, float, float, float | None, bytes]:
    """(median, min, max seconds, highest peak MB, the last PDF) of `runs` renders."""
    times, peaks, pdf = [], [], b""
    for _ in range(runs):
        cache.clear()  # each run renders: a closed round's report is cached otherwise
        seconds, peak, pdf = peak_of(render)
        times.append(seconds)
        if peak is not None:
            peaks.append(peak)
    return statistics.median(times), min(times), max(times), max(peaks, default=None), pdf


def pages_of(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[50, 500])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--at-limits",
        action="store_true",
        help="every free-text field of every activity, indicator and report at its length limit",
    )
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    # WeasyPrint's one-time set-up (fonts, its default stylesheet) is paid here, not by whichever
    # rendering happens to come first.
    weasyprint.HTML(string="<p>Klockaretorpet</p>").write_pdf()
    served = []
    print(
        f"{'activities':>10}  {'rendering':<10}{'pages':>6}{'median s':>10}{'min–max s':>14}"
        f"{'peak MB':>9}"
    )
    verdicts = []
    with translation.override("sv"):
        for size in options.sizes:
            follow_up = build(size, limits=options.at_limits)
            rows = {
                "report": measured(
                    lambda round_=follow_up: followup_report_pdf(round_)[1], options.runs
                ),
                "short": measured(
                    lambda round_=follow_up: followup_report_pdf(round_, short=True)[1],
                    options.runs,
                ),
                "naive": measured(lambda round_=follow_up: naive_report_pdf(round_), options.runs),
            }
            for name, (median, fastest, slowest, peak, pdf) in rows.items():
                print(
                    f"{size:>10}  {name:<10}{pages_of(pdf):>6}{median:>10.2f}"
                    f"{fastest:>7.2f}–{slowest:<6.2f}{peak or float('nan'):>9.0f}"
                )
            ratio = rows["report"][0] / rows["naive"][0]
            target = TARGET_RATIO.get(size)
            verdict = f"{size:>10}  report ÷ naive = {ratio:.2f}"
            if target:
                peak = rows["report"][3]
                met_time = ratio <= target
                met_peak = peak is None or peak <= TARGET_PEAK_MB
                verdict += (
                    f"  target ≤ {target}: {'met' if met_time else 'MISSED'};"
                    f" peak {peak or float('nan'):.0f} MB, target ≤ {TARGET_PEAK_MB} MB:"
                    f" {'met' if met_peak else 'MISSED'}"
                )
            verdicts.append(verdict)
            served.append((size, *served_by_the_portal(follow_up)))
    print()
    print("\n".join(verdicts))
    print("\nServed by the portal (GET, closed round; cached after the first):")
    print(f"{'activities':>10}{'first s':>9}{'cached median ms':>18}{'min–max ms':>13}  target")
    for size, first, cached in served:
        median = statistics.median(cached)
        met = "met" if median <= TARGET_CACHED_MS else "MISSED"
        print(
            f"{size:>10}{first:>9.2f}{median:>18.1f}{min(cached):>6.1f}–{max(cached):<6.1f}"
            f"  ≤ {TARGET_CACHED_MS} ms: {met}"
        )


def served_by_the_portal(follow_up: FollowUp) -> tuple[float, list[float]]:
    """The report through its URL, as a browser asks for it: the first request renders."""
    cache.clear()
    client = Client()
    client.force_login(
        get_user_model().objects.filter(is_superuser=True).first()
        or get_user_model().objects.create_superuser("bench-admin", password="bench-only-pw")
    )
    url = reverse("followup:round-report", args=[follow_up.pk])
    timings = []
    for _ in range(CACHED_RUNS + 1):
        start = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return timings[0], [seconds * 1000 for seconds in timings[1:]]


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
