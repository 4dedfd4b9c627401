"""`make bench`: every benchmark of the portal, printed as one set of tables for a note.

1. Pages in-process (test client): the declaration page, the dashboard, an activity page and the
   admin changelist with 50, 500 and 2,000 activities, and the naive baseline beside them; and
   the declaration page and the dashboard on the first view after one activity is edited.
2. Load: gunicorn with the production config, 16 connections for 10 s on the 500-activity
   declaration page and on the naive baseline, by wrk.
3. The PDF report and the Excel import/export (benchmarks/reports.py, benchmarks/import_export.py).
4. Load with writers: 60 s of wrk on a mix of pages while an import of 1,000 rows and a stream
   of admin edits run (benchmarks/load_with_writers.py, on PostgreSQL when it answers).

Runs on a throw-away SQLite database (or BENCH_DATABASE_URL). Asserts nothing: prints figures and
whether each target is met. Run: `python -m benchmarks [--quick | --pages-only] [--sizes N ...]`.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
scratch = tempfile.mkdtemp(prefix="bench-")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from benchmarks import load, pages  # noqa: E402

SIZES = (50, 500, 2000)
LOAD_SIZE = 500
TARGET_TIME_RATIO = 0.5
TARGET_AFTER_EDIT_RATIO = 0.5
TARGET_DASHBOARD_RATIO = 0.25
AFTER_EDIT = "first view after one edit"
# The pages measured after an edit, and the rows they are printed as.
AFTER_EDIT_PAGES = {name: f"{name}, {AFTER_EDIT}" for name in ("declaration", "dashboard")}
RATIO_ROWS = {"declaration", "dashboard", *AFTER_EDIT_PAGES.values()}
NAME_WIDTH = 38
TARGET_THROUGHPUT_RATIO = 2.0


def figures_range(figures: pages.PageFigures) -> str:
    return f"{figures.low_ms:.1f}–{figures.high_ms:.1f}"


def run_pages(client: Client, built: dict) -> dict:
    print(
        "\n## Pages, in-process (ms; median and min–max of 7 warm runs; first = cold cache; "
        f"{AFTER_EDIT}: first request after each of {pages.EDITS} saved edits of one activity)\n"
    )
    print(
        f"| {'page':<{NAME_WIDTH}} | {'activities':>10} | {'first':>7} | {'median':>7} | "
        f"{'min–max':>13} | {'queries':>7} | {'÷ naive':>7} |"
    )
    widths = (NAME_WIDTH + 2, 12, 9, 9, 15, 9, 9)
    print("|" + "|".join("-" * width for width in widths) + "|")
    results = {}
    for size, (plan, activity) in built.items():
        urls = pages.page_urls(plan, activity)
        measured = {name: pages.measure(client, url) for name, url in urls.items()}
        for name, row in AFTER_EDIT_PAGES.items():
            measured[row] = pages.measure_after_edit(client, urls[name], activity)
        naive = measured["naive baseline"].median_ms
        for name, figures in measured.items():
            ratio = f"{figures.median_ms / naive:.2f}" if name in RATIO_ROWS else ""
            print(
                f"| {name:<{NAME_WIDTH}} | {size:>10,} | {figures.first_ms:>7.1f} | "
                f"{figures.median_ms:>7.1f} | {figures_range(figures):>13} | "
                f"{figures.queries:>7} | {ratio:>7} |"
            )
            results[name, size] = figures
    return results


def run_load(client: Client, plan) -> tuple:
    if shutil.which("wrk") is None:
        print("\n## Load: skipped, wrk is not installed (apt-get install wrk)")
        return None, None
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    slug = plan.declaration.slug
    print(
        f"\n## Load: gunicorn (gunicorn.conf.py), {load.CONNECTIONS} connections, "
        f"{load.SECONDS} s, {LOAD_SIZE} activities\n"
    )
    with load.Gunicorn(DATABASE_URL) as server:
        ours = load.run_wrk(server.url(f"/avsiktsforklaringar/{slug}/"), cookie)
        naive = load.run_wrk(server.url(f"/naive/{slug}/"), cookie)
    print(
        f"| {'page':<17} | {'requests':>8} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} | "
        f"{'errors':>6} |"
    )
    print(f"|{'-' * 19}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 8}|")
    for name, figures in (("declaration", ours), ("naive baseline", naive)):
        print(
            f"| {name:<17} | {figures.requests:>8,} | {figures.per_second:>7.1f} | "
            f"{figures.p50_ms:>7.1f} | {figures.p99_ms:>7.1f} | {figures.errors:>6} |"
        )
    return ours, naive


def run_script(title: str, arguments: list[str]) -> None:
    print(f"\n## {title}\n")
    sys.stdout.flush()
    subprocess.run([sys.executable, *arguments], cwd=ROOT, check=True)  # noqa: S603


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pages and load only")
    parser.add_argument("--pages-only", action="store_true", help="the in-process pages only")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=SIZES, help="numbers of activities (pages)"
    )
    options = parser.parse_args()
    sizes = tuple(options.sizes)

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_superuser("bench", password="benchmark-only-pw")
    built = {size: pages.build(size) for size in sizes}
    client = Client()
    client.force_login(user)

    page_results = run_pages(client, built)
    ours = naive = None
    if not options.pages_only and LOAD_SIZE in built:
        ours, naive = run_load(client, built[LOAD_SIZE][0])

    if not (options.quick or options.pages_only):
        run_script("PDF report of a closed round", ["benchmarks/reports.py", "500", "--runs", "2"])
        run_script(
            "Excel import and export (1,000 rows; 5,000: python benchmarks/import_export.py)",
            ["benchmarks/import_export.py", "--rows", "1000"],
        )
        run_script(
            "Load with writers (an import and admin edits during the load)",
            ["benchmarks/load_with_writers.py"],
        )

    print("\n## Targets\n")
    if LOAD_SIZE in built:
        time_ratio = (
            page_results["declaration", LOAD_SIZE].median_ms
            / page_results["naive baseline", LOAD_SIZE].median_ms
        )
        met = time_ratio <= TARGET_TIME_RATIO
        print(
            f"- declaration page, {LOAD_SIZE} activities: {time_ratio:.2f}× the naive server "
            f"time (target ≤ {TARGET_TIME_RATIO}×): {'met' if met else 'MISSED'}"
        )
    largest = max(sizes)
    naive_largest = page_results["naive baseline", largest].median_ms
    for row, target in (
        (AFTER_EDIT_PAGES["declaration"], TARGET_AFTER_EDIT_RATIO),
        ("dashboard", TARGET_DASHBOARD_RATIO),
    ):
        ratio = page_results[row, largest].median_ms / naive_largest
        print(
            f"- {row}, {largest:,} activities: {ratio:.2f}× the naive server time "
            f"(target ≤ {target}×): {'met' if ratio <= target else 'MISSED'}"
        )
    if ours and naive:
        throughput = ours.per_second / naive.per_second
        met = throughput >= TARGET_THROUGHPUT_RATIO and ours.errors == 0
        print(
            f"- under load: {throughput:.1f}× the naive throughput, {ours.errors} errors "
            f"(target ≥ {TARGET_THROUGHPUT_RATIO}×, 0 errors): {'met' if met else 'MISSED'}"
        )
    for name in ("declaration", "dashboard", "activity", "admin changelist"):
        counts = sorted({page_results[name, size].queries for size in sizes})
        constant = len(counts) == 1
        print(
            f"- {name}: queries {' / '.join(str(page_results[name, s].queries) for s in sizes)}"
            f" at {' / '.join(f'{s:,}' for s in sizes)} activities: "
            f"{'constant' if constant else 'GROWS'}"
        )


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
