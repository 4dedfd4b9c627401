"""Load with writers: 60 s of wrk on a mix of portal pages while, in the same minute, an Excel
import of 1,000 rows and a stream of admin edits write to the same plan.

Runs on a throw-away PostgreSQL database (production's engine: SQLite lets one writer in at a
time) when PostgreSQL answers at BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432),
else on SQLite, and says which. Gunicorn serves the pages with the production config; the import
is the management command in a process of its own, as an administrator would run it; the edits go
through the admin's change form (its views, forms, lost-update guard and history) in this
process. Prints the requests, p50/p99, errors and 5xx, the import's outcome (complete, or refused
whole) and the edits saved or refused. Asserts nothing.

Run: `.venv/bin/python benchmarks/load_with_writers.py [--seconds 60]`.
"""

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# benchmarks/import_export.py has the library's name: with this folder on the path, Django's app
# loading would import that script instead of django-import-export.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
scratch = tempfile.mkdtemp(prefix="bench-writers-")
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE_NAME = f"bench_writers_{uuid.uuid4().hex[:8]}"


def _postgres_database() -> str | None:
    import psycopg

    try:
        with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=3) as db:
            db.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    except psycopg.Error:  # no PostgreSQL here: SQLite it is, and the table says so
        return None
    return f"{POSTGRES_URL}/{DATABASE_NAME}"


def _drop_postgres_database() -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')


DATABASE_URL = _postgres_database() or f"sqlite:///{scratch}/bench.sqlite3"
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from benchmarks import load, pages  # noqa: E402
from plans.models import Activity  # noqa: E402
from plans.resources import export_activities_workbook  # noqa: E402
from tests.plans.test_admin import activity_form_data  # noqa: E402 (the admin form as the tests post it)

ACTIVITIES = 600
IMPORT_ROWS = 1000
# The admin edits go to the last strategy's activities, which the import file leaves out: the
# import can then complete, unless an edit reaches a row it changes (then it is refused whole).
EDITED_STRATEGY = (3, 3)
EDIT_PAUSE_SECONDS = 0.2
IMPORT_STARTS_AFTER_SECONDS = 5


def build():
    plan, _first = pages.build(ACTIVITIES)
    user = get_user_model().objects.create_superuser("bench", password="benchmark-only-pw")
    return plan, user


def import_file(plan) -> tuple[Path, int, int]:
    """The plan's export with every title changed except the edited strategy's rows, and new
    rows (copies without a code) up to `IMPORT_ROWS` rows."""
    goal, strategy = EDITED_STRATEGY
    _name, content = export_activities_workbook(
        plan.activities.exclude(strategy__goal__position=goal, strategy__position=strategy),
        declaration_slug=plan.declaration.slug,
    )
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    headers = {cell.value: cell.column for cell in sheet[1]}
    changed = sheet.max_row - 1
    for row in range(2, sheet.max_row + 1):
        title = sheet.cell(row, headers["Aktivitet"])
        title.value = f"{title.value} (importerad)"
    template = [cell.value for cell in sheet[2]]
    added = IMPORT_ROWS - changed
    for number in range(added):
        values = list(template)
        values[headers["Referenskod"] - 1] = None
        values[headers["Senast ändrad"] - 1] = None
        values[headers["Ändrad av"] - 1] = None
        values[headers["Aktivitet"] - 1] = f"Ny aktivitet {number + 1} från importen"
        sheet.append(values)
    path = Path(scratch) / "import.xlsx"
    book.save(path)
    return path, changed, added


def mixed_pages_script(plan) -> tuple[Path, int]:
    """A wrk script that asks for the portal's everyday pages in turn, and counts 5xx answers;
    with the number of pages."""
    slug = plan.declaration.slug
    activity_ids = list(plan.activities.order_by("pk").values_list("pk", flat=True)[::60])
    paths = [
        reverse("plans:declaration-detail", args=[slug]),
        reverse("followup:dashboard", args=[slug]),
        reverse("plans:timeline", args=[slug]),
        reverse("strategies:home"),
        *(reverse("plans:activity-detail", args=[pk]) for pk in activity_ids),
    ]
    script = Path(scratch) / "mixed.lua"
    listed = ", ".join(f'"{path}"' for path in paths)
    script.write_text(
        f"local paths = {{{listed}}}\n"
        "local threads = {}\n"
        "function setup(thread) table.insert(threads, thread) end\n"
        "function init(args) counter = 0; server_errors = 0 end\n"
        "function request()\n"
        "  counter = counter + 1\n"
        '  return wrk.format("GET", paths[(counter % #paths) + 1])\n'
        "end\n"
        "function response(status, headers, body)\n"
        "  if status >= 500 then server_errors = server_errors + 1 end\n"
        "end\n"
        "function done(summary, latency, requests)\n"
        "  local total = 0\n"
        '  for _, thread in ipairs(threads) do total = total + thread:get("server_errors") end\n'
        '  io.write(string.format("5xx responses: %d\\n", total))\n'
        "end\n"
    )
    return script, len(paths)


def wrk_mixed(server, cookie: str, script: Path, seconds: int) -> str:
    return subprocess.run(  # noqa: S603
        [
            shutil.which("wrk"),
            "--threads",
            "2",
            "--connections",
            str(load.CONNECTIONS),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            "--script",
            str(script),
            "--header",
            f"Cookie: {cookie}",
            server.url("/"),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def edit_stream(plan, user, stop: threading.Event, outcome: dict) -> None:
    """Admin edits, one after the other, until `stop`: open the change form, save a new title."""
    client = Client()
    client.force_login(user)
    goal, strategy = EDITED_STRATEGY
    edited = list(
        plan.activities.filter(strategy__goal__position=goal, strategy__position=strategy)
    )
    number = 0
    try:
        while not stop.is_set():
            activity = Activity.objects.get(pk=edited[number % len(edited)].pk)
            url = reverse("admin:plans_activity_change", args=[activity.pk])
            client.get(url)
            answer = client.post(url, activity_form_data(activity, title=f"Redigerad {number}"))
            key = {302: "saved", 200: "refused"}.get(answer.status_code, "errors")
            outcome[key] = outcome.get(key, 0) + 1
            number += 1
            time.sleep(EDIT_PAUSE_SECONDS)
    finally:
        connection.close()


def run_import(path: Path, plan, outcome: dict) -> None:
    time.sleep(IMPORT_STARTS_AFTER_SECONDS)
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "import_activities",
            str(path),
            "--declaration",
            plan.declaration.slug,
            "--user",
            "bench",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": DATABASE_URL},
        capture_output=True,
        text=True,
    )
    outcome.update(
        seconds=time.perf_counter() - started,
        exit_code=result.returncode,
        said=(result.stdout + result.stderr).strip().splitlines()[-3:],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        print("Skipped: wrk is not installed (apt-get install wrk)")
        return
    engine = "PostgreSQL" if DATABASE_URL.startswith("postgres") else "SQLite"
    call_command("migrate", verbosity=0)
    plan, user = build()
    path, changed, added = import_file(plan)
    script, page_count = mixed_pages_script(plan)
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    before = Activity.objects.filter(plan=plan).count()
    edits, imported, stop = {}, {}, threading.Event()

    with load.Gunicorn(DATABASE_URL) as server:
        wrk_mixed(server, cookie, script, load.WARM_UP_SECONDS)
        writers = [
            threading.Thread(target=edit_stream, args=(plan, user, stop, edits)),
            threading.Thread(target=run_import, args=(path, plan, imported)),
        ]
        for writer in writers:
            writer.start()
        output = wrk_mixed(server, cookie, script, options.seconds)
        stop.set()
        for writer in writers:
            writer.join()

    after = Activity.objects.filter(plan=plan).count()
    percentiles = dict(re.findall(r"^\s*(\d+)%\s+(\S+)\s*$", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    )
    server_errors = int(re.search(r"5xx responses: (\d+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    complete = imported.get("exit_code") == 0 and after == before + added
    refused_whole = imported.get("exit_code") != 0 and after == before
    print(
        f"\n## Load with writers ({engine}): {options.seconds} s of wrk, "
        f"{load.CONNECTIONS} connections, a mix of {page_count} pages, "
        f"{ACTIVITIES} activities\n"
    )
    print("| requests | req/s | p50 ms | p99 ms | errors (non-2xx, socket) | 5xx | target |")
    print("|---------:|------:|-------:|-------:|-------------------------:|----:|--------|")
    met = errors == 0 and server_errors == 0
    print(
        f"| {requests:,} | {per_second:.1f} | {load._milliseconds(percentiles['50']):.1f} | "
        f"{load._milliseconds(percentiles['99']):.1f} | {errors} | {server_errors} | "
        f"0 errors, no 5xx: {'met' if met else 'MISSED'} |"
    )
    print(
        f"\n- import of {changed + added:,} rows ({changed} changed, {added} new), started "
        f"{IMPORT_STARTS_AFTER_SECONDS} s in: exit code {imported.get('exit_code')}, "
        f"{imported.get('seconds', 0):.1f} s; activities {before} → {after}: "
        f"{'complete' if complete else 'refused whole' if refused_whole else 'HALF-WRITTEN'}"
    )
    for line in imported.get("said", []):
        print(f"    {line}")
    print(
        f"- admin edits: {edits.get('saved', 0)} saved, {edits.get('refused', 0)} refused "
        f"(a stale form), {edits.get('errors', 0)} errors"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        if DATABASE_URL.startswith("postgres"):
            _drop_postgres_database()
        shutil.rmtree(scratch, ignore_errors=True)
