"""Time, queries and peak memory of the activity sheet's export, preview and import.

Builds a throw-away SQLite database with one plan of N activities (default 5,000), exports it,
changes every other row's title in the exported workbook, and runs the export, the preview (a
dry-run import) and the confirmed import (which writes history) twice over: through the portal's
code (`plans.resources`, `klockaretorpet.sheet_reading`) and through a naive
django-import-export resource (`benchmarks/naive_import_export.py`) doing the same work. Reading
the uploaded workbook is part of each import's time, as it is in a request; both confirmed imports
start from the same data.

Each operation runs once. Queries are counted by a database execute wrapper and peak memory is
the process's resident high-water mark, reset before each operation (Linux), so neither costs
the run time or memory; `--heap` adds a second run of each under tracemalloc (slow) for the peak
of Python's own allocations. Prints figures and the issue's targets; asserts nothing.
Run: `.venv/bin/python benchmarks/import_export.py [--rows N] [--heap]`.
"""

import argparse
import collections
import ctypes
import gc
import io
import os
import re
import shutil
import sys
import tempfile
import time
import tracemalloc
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This file has the library's name: with its folder on the path, `import import_export` (by
# Django's app loading) would import this script instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
scratch = tempfile.mkdtemp(prefix="bench-import-export-")
os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klockaretorpet.settings")

import django  # noqa: E402

django.setup()

import datetime  # noqa: E402

import openpyxl  # noqa: E402
import tablib  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.naive_import_export import COLUMNS, naive_resource_class  # noqa: E402
from plans.models import (  # noqa: E402
    Activity,
    ActivityPlan,
    ActivityStatus,
    ActivityType,
    Indicator,
    PlanStatus,
)
from plans.resources import (  # noqa: E402
    ActivityResource,
    export_activities_workbook,
    import_activities,
    read_activity_sheet,
)
from strategies.models import ProgrammeGoal, SuccessFactor  # noqa: E402

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEGABYTE = 1024 * 1024

# The issues' targets for the portal's implementation.
EXPORT_SECONDS = 2.5
IMPORT_RATIO = 0.6
PEAK_MB = 400
# A file of new rows only (issue 12): preview and confirmed import against the naive resource.
NEW_ROWS = 5000
NEW_ROWS_RATIO = 0.5
# Reading any file the upload limit accepts, hostile ones included (issue 12).
READ_GROWTH_MB = 150
# Lookups a whole file needs: strategies, organisations, the two reference lists, the rows.
MAX_LOOKUPS = 20


# --- data ---------------------------------------------------------------------------------


@dataclass
class Scenario:
    plan: ActivityPlan
    user: object
    # (pk, title, updated_at) of every activity as built: what a confirmed import starts from.
    snapshot: list = field(default_factory=list)

    def restore(self) -> None:
        """Undo a confirmed import's edits (titles and “last changed”), without history."""
        Activity.objects.bulk_update(
            [Activity(pk=pk, title=title, updated_at=at) for pk, title, at in self.snapshot],
            ["title", "updated_at"],
            batch_size=500,
        )


def build(rows: int) -> Scenario:
    from tests.factories import (
        DeclarationFactory,
        GoalFactory,
        OrganisationFactory,
        StrategyFactory,
    )

    declaration = DeclarationFactory()
    goals = [GoalFactory(declaration=declaration, position=number) for number in (1, 2, 3)]
    strategies = [
        StrategyFactory(goal=goal, position=number) for goal in goals for number in (1, 2, 3)
    ]
    organisations = [OrganisationFactory() for _ in range(8)]
    factors = [
        SuccessFactor.objects.create(slug=f"faktor-{n}", position=n, title=f"Framgångsfaktor {n}")
        for n in (1, 2, 3)
    ]
    programme_goals = [
        ProgrammeGoal.objects.create(slug=f"mal-{n}", position=n, title=f"Målsättning {n}")
        for n in (1, 2)
    ]
    plan = ActivityPlan.objects.create(
        declaration=declaration,
        name="Aktivitetsplan 2024–2030",
        status=PlanStatus.DRAFT,
        start_year=2024,
        end_year=2030,
    )
    user = get_user_model().objects.create_user(
        "bench", password="benchmark-only-pw", first_name="Bänk", last_name="Märk", is_staff=True
    )

    serials = collections.Counter()
    types = list(ActivityType)
    activities = []
    for index in range(rows):
        strategy = strategies[index % len(strategies)]
        serials[strategy.pk] += 1
        prefix = f"{strategy.goal.position}.{strategy.position}"
        serial = serials[strategy.pk]
        activities.append(
            Activity(
                plan=plan,
                strategy=strategy,
                reference_code=f"{prefix}.{serial}",
                code_prefix=prefix,
                code_serial=serial,
                title=f"Aktivitet {prefix}.{serial}",
                description=f"Beskrivning av aktivitet {index}." if index % 3 else "",
                activity_type=types[index % len(types)],
                planned_start=datetime.date(2024, index % 12 + 1, 1),
                planned_end=datetime.date(2026, index % 12 + 1, 1),
                schedule_note="Löpande" if index % 7 == 0 else "",
                lead_organisation=organisations[index % len(organisations)],
                responsible_unit=f"Enhet {index % 20}" if index % 2 else "",
                measurability="Antal genomförda insatser.",
                status=ActivityStatus.PLANNED,
            )
        )
    activities = Activity.objects.bulk_create(activities, batch_size=500)

    co_links, factor_links, goal_links, indicators = [], [], [], []
    for index, activity in enumerate(activities):
        if index % 3 == 0:
            for offset in (1, 2)[: 1 + index % 2]:
                partner = organisations[(index + offset) % len(organisations)]
                co_links.append(
                    Activity.co_organisations.through(activity=activity, organisation=partner)
                )
        if index % 2 == 0:
            factor_links.append(
                Activity.success_factors.through(
                    activity=activity, successfactor=factors[index % len(factors)]
                )
            )
        if index % 4 == 0:
            goal_links.append(
                Activity.programme_goals.through(
                    activity=activity, programmegoal=programme_goals[index % 2]
                )
            )
        if index % 5 == 0:
            indicators.append(
                Indicator(
                    activity=activity,
                    name="Andel trygga",
                    unit="%",
                    baseline_value=58,
                    baseline_year=2024,
                    target_value=70,
                    target_year=2030,
                )
            )
    Activity.co_organisations.through.objects.bulk_create(co_links, batch_size=500)
    Activity.success_factors.through.objects.bulk_create(factor_links, batch_size=500)
    Activity.programme_goals.through.objects.bulk_create(goal_links, batch_size=500)
    Indicator.objects.bulk_create(indicators, batch_size=500)

    snapshot = list(plan.activities.values_list("pk", "title", "updated_at"))
    return Scenario(plan=plan, user=user, snapshot=snapshot)


def edited_workbook(exported: bytes, title_header: str) -> tuple[bytes, int]:
    """The exported workbook with every other activity's title changed: half the rows to save."""
    book = openpyxl.load_workbook(io.BytesIO(exported))
    sheet = book.active
    column = [cell.value for cell in sheet[1]].index(title_header) + 1
    changed = 0
    for row in range(2, sheet.max_row + 1, 2):
        cell = sheet.cell(row=row, column=column)
        cell.value = f"{cell.value} (reviderad)"
        changed += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), changed


# --- measuring ----------------------------------------------------------------------------


class QueryCounter:
    """Counts the queries run, by their SQL with placeholders: no log, no per-query cost.

    `CaptureQueriesContext` would keep every query's text (memory) and, on SQLite, run an extra
    `SELECT QUOTE(?)` for each one to fill in its parameters (time), which would weigh most on
    the implementation that makes the most queries.
    """

    def __init__(self):
        self.shapes = collections.Counter()

    def __call__(self, execute, sql, params, many, context):
        self.shapes[sql] += 1
        return execute(sql, params, many, context)


def rss_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reset_peak_rss() -> float | None:
    """Lower the process's high-water mark to its current size (Linux); the current size."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return None
    return rss_mb("VmRSS")


@dataclass
class Figures:
    seconds: float
    shapes: collections.Counter
    peak_mb: float | None
    growth_mb: float | None
    heap_mb: float | None = None

    @property
    def queries(self) -> int:
        return sum(self.shapes.values())

    @property
    def selects(self) -> int:
        return sum(n for sql, n in self.shapes.items() if sql.lstrip().upper().startswith("SELECT"))

    @property
    def lookups(self) -> int:
        return sum(
            n for sql, n in self.shapes.items() if LOOKUP.search(sql) and not M2M.search(sql)
        )


# Resolving a cell to a row: a strategy, organisation or reference-list item, or the activity
# by its reference code. Reading an activity's current m2m values (a join through the activity's
# link table) is not a lookup.
LOOKUP = re.compile(
    r'^\s*SELECT .*? FROM "strategies_(?:strategy|goal|organisation|successfactor|programmegoal)"'
    r'|^\s*SELECT .*? FROM "plans_activity" WHERE .*"reference_code" (?:= |IN )',
    re.DOTALL,
)
M2M = re.compile(r'JOIN "plans_activity_')
PLACEHOLDERS = re.compile(r"\((?:%s, )+%s\)")


def measure(operation, *, prepare=None, heap=False, after=None) -> Figures:
    """Time, queries and peak process size of one run; with `heap`, a second run under
    tracemalloc for the peak of Python's own allocations. `prepare` runs before each run."""
    if prepare:
        prepare()
    counter = QueryCounter()
    before = reset_peak_rss()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        result = operation()
        seconds = time.perf_counter() - start
    peak = rss_mb("VmHWM") if before is not None else None
    if after:
        after(result)
    del result
    figures = Figures(
        seconds=seconds,
        shapes=counter.shapes,
        peak_mb=peak,
        growth_mb=None if peak is None else peak - before,
    )
    if heap:
        if prepare:
            prepare()
        gc.collect()
        tracemalloc.start()
        operation()
        figures.heap_mb = tracemalloc.get_traced_memory()[1] / MEGABYTE
        tracemalloc.stop()
    return figures


# --- report -------------------------------------------------------------------------------

OPERATIONS = ("export", "preview", "confirmed import")


def ratio(ours, theirs) -> str:
    if ours is None or not theirs:
        return "–"
    return f"{ours / theirs:.2f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def mb(value) -> str:
    return "–" if value is None else f"{value:.0f}"


def print_table(rows: int, figures: dict, targets: dict, heap: bool) -> None:
    header = (
        f"{'operation':<17}{'impl':<7}{'seconds':>8}{'queries':>8}{'SELECTs':>8}{'lookups':>8}"
        f"{'peak MB':>8}{'+MB':>6}{'heap MB' if heap else '':>8}"
        f"  {'portal/naive s·q·MB':<20}{'target (portal)':<36}verdict"
    )
    print(header)
    print("-" * len(header))
    for operation in OPERATIONS:
        ours, naive = figures[operation, "portal"], figures[operation, "naive"]
        for impl, item in (("portal", ours), ("naive", naive)):
            line = (
                f"{operation if impl == 'portal' else '':<17}{impl:<7}{item.seconds:>8.2f}"
                f"{item.queries:>8}{item.selects:>8}{item.lookups:>8}{mb(item.peak_mb):>8}"
                f"{mb(item.growth_mb):>6}{mb(item.heap_mb) if heap else '':>8}"
            )
            if impl == "portal":
                memory = (ours.peak_mb, naive.peak_mb)
                ratios = "·".join(
                    [
                        ratio(ours.seconds, naive.seconds),
                        ratio(ours.queries, naive.queries),
                        ratio(*memory),
                    ]
                )
                for number, (text, ok) in enumerate(targets[operation]):
                    start = f"{line}  {ratios:<20}" if number == 0 else " " * (len(line) + 22)
                    print(f"{start}{text:<36}{verdict(ok)}")
            else:
                print(line)
    print(
        "lookups: queries resolving a cell (strategy, organisation, reference-list item, the\n"
        "activity by code), incl. the foreign-key and uniqueness checks of full_clean(). peak MB:\n"
        "the process's resident peak during the operation; +MB: above its size at the start\n"
        "(low when memory freed by an earlier operation is reused)."
        + (" heap MB: tracemalloc peak, second run." if heap else "")
    )
    print(
        f"({rows:,} activities. queries per row, portal/naive: "
        + ", ".join(
            f"{operation} {figures[operation, 'portal'].queries / rows:.1f}"
            f"/{figures[operation, 'naive'].queries / rows:.1f}"
            for operation in OPERATIONS
        )
        + ".)"
    )


def print_repeated(rows: int, figures: dict) -> None:
    """The portal's queries that run for half the rows or more, most frequent first."""
    threshold = max(rows // 2, 2)
    print(
        f"\nPortal queries run ≥ {threshold:,} times, i.e. for half the rows or more (count, SQL):"
    )
    for operation in OPERATIONS:
        repeated = [
            (count, sql)
            for sql, count in figures[operation, "portal"].shapes.most_common()
            if count >= threshold
        ]
        print(f"  {operation}: {'none' if not repeated else ''}")
        for count, sql in repeated:
            print(f"    {count:>6}  {PLACEHOLDERS.sub('(…)', ' '.join(sql.split()))[:160]}")


# --- a file of new rows ---------------------------------------------------------------------


def new_rows_workbook(exported: bytes, headers: dict[str, str], rows: int) -> bytes:
    """The exported rows as new activities: no reference code, no “last changed”, a new title;
    repeated to `rows` rows."""
    source = openpyxl.load_workbook(io.BytesIO(exported), read_only=True)
    header_row, *body = list(source.active.values)
    source.close()
    code = header_row.index(headers["reference_code"])
    title = header_row.index(headers["title"])
    changed = header_row.index(headers["last_changed"])
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Aktiviteter")
    sheet.append(header_row)
    for index in range(rows):
        values = list(body[index % len(body)])
        values[code] = None
        values[changed] = None
        values[title] = f"Ny aktivitet {index + 1}"
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run_new_rows(scenario: Scenario, headers: dict[str, str], exported: bytes, rows: int) -> None:
    plan, user, declaration = scenario.plan, scenario.user, scenario.plan.declaration
    upload = new_rows_workbook(exported, headers, rows)
    NaiveResource = naive_resource_class({name: headers[name] for name in COLUMNS})
    HistoricalActivity = Activity.history.model
    # Activities above this id are the ones an import of the file added.
    first_new = [Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0]

    def fresh_plan():
        """Remove what a confirmed import of new rows added, so that both start alike."""
        added = Activity.objects.filter(plan=plan, pk__gt=first_new[0])
        HistoricalActivity.objects.filter(id__in=added.values("pk")).delete()
        Indicator.history.model.objects.filter(activity_id__in=added.values("pk")).delete()
        Indicator.objects.filter(activity__in=added).delete()
        for model_field in Activity._meta.many_to_many:
            model_field.remote_field.through.objects.filter(activity__in=added).delete()
        added.delete()

    def portal(dry_run):
        dataset = read_activity_sheet(SimpleUploadedFile("nya.xlsx", upload, XLSX_TYPE))
        return import_activities(
            declaration=declaration, dataset=dataset, user=user, dry_run=dry_run
        )

    def naive(dry_run):
        dataset = tablib.Dataset().load(upload, format="xlsx")
        return NaiveResource(user=user, plan=plan).import_data(
            dataset, dry_run=dry_run, use_transactions=True
        )

    done = {}

    def keep(key):
        def after(result):
            if hasattr(result, "counts"):
                done[key] = (result.counts, result.problems[:2])
            else:
                failed = result.has_errors() or result.has_validation_errors()
                done[key] = ({k: n for k, n in result.totals.items() if n}, failed)
            added = HistoricalActivity.objects.filter(id__gt=first_new[0])
            done[key + " history"] = (
                Activity.objects.filter(pk__gt=first_new[0]).count(),
                added.count(),
            )

        return after

    fresh_plan()
    figures = {}
    for operation, dry_run in (("preview", True), ("confirmed import", False)):
        for impl, function in (("portal", portal), ("naive", naive)):
            figures[operation, impl] = measure(
                lambda function=function, dry_run=dry_run: function(dry_run),
                prepare=fresh_plan,
                after=keep(f"{operation} {impl}"),
            )
    fresh_plan()

    print(
        f"\n## A file of {rows:,} new rows ({len(upload) / 1024:.0f} kB; the plan has "
        f"{len(scenario.snapshot):,} activities)\n"
    )
    print(
        f"| {'operation':<16} | {'impl':<6} | {'seconds':>7} | {'ms/row':>6} | {'queries':>7} | "
        f"{'+MB':>5} | {'portal ÷ naive':>14} | target |"
    )
    print(f"|{'-' * 18}|{'-' * 8}|{'-' * 9}|{'-' * 8}|{'-' * 9}|{'-' * 7}|{'-' * 16}|{'-' * 8}|")
    for operation in ("preview", "confirmed import"):
        ours, theirs = figures[operation, "portal"], figures[operation, "naive"]
        share = ours.seconds / theirs.seconds
        for impl, item in (("portal", ours), ("naive", theirs)):
            shown = f"{share:.2f}" if impl == "portal" else ""
            verdict_text = (
                f"≤ {NEW_ROWS_RATIO}× {verdict(share <= NEW_ROWS_RATIO)}"
                if impl == "portal"
                else ""
            )
            print(
                f"| {operation if impl == 'portal' else '':<16} | {impl:<6} | "
                f"{item.seconds:>7.2f} | {item.seconds * 1000 / rows:>6.2f} | {item.queries:>7} | "
                f"{mb(item.growth_mb):>5} | {shown:>14} | {verdict_text} |"
            )
    print()
    for key in (
        "preview portal",
        "confirmed import portal",
        "preview naive",
        "confirmed import naive",
    ):
        print(f"- {key}: {done[key]}")
    created, records = done["confirmed import portal history"]
    print(
        f"- history records written by the portal's confirmed import: {records:,} for "
        f"{created:,} new activities: {verdict(records == created == rows)}"
    )
    created, records = done["confirmed import naive history"]
    print(
        f"- history records written by the naive confirmed import: {records:,} for "
        f"{created:,} new activities"
    )


# --- hostile files ---------------------------------------------------------------------------


def heading_row(headers: list[str]) -> str:
    return (
        '<row r="1">'
        + "".join(
            f'<c r="{openpyxl.utils.get_column_letter(i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
            for i, h in enumerate(headers, start=1)
        )
        + "</row>"
    )


def xfd_sparse(rows: int, headers: list[str]) -> bytes:
    """The headings, and one “x” per row in column XFD (the last Excel has): a small file that
    openpyxl's read-only reader pads to 16,384 cells per row (2.6 GB at 20,000 rows)."""
    return _raw_workbook(
        heading_row(headers)
        + "".join(
            f'<row r="{n}"><c r="XFD{n}" t="inlineStr"><is><t>x</t></is></c></row>'
            for n in range(2, rows + 2)
        )
    )


def widest_allowed(rows: int, headers: list[str], width: int) -> bytes:
    """The headings, then rows with a value in the first column and in the widest column the
    reader accepts: read in full."""
    last = openpyxl.utils.get_column_letter(width)
    return _raw_workbook(
        heading_row(headers)
        + "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>9.9.{n}</t></is></c>'
            f'<c r="{last}{n}" t="inlineStr"><is><t>x</t></is></c></row>'
            for n in range(2, rows + 2)
        )
    )


def blank_rows(rows: int, headers: list[str]) -> bytes:
    """The headings and formatted, empty rows: what Excel keeps after a whole sheet was
    formatted, and a way to make a small file unpack to a large sheet. Without `<dimension>`,
    which openpyxl's read-only mode would otherwise parse the whole sheet to find."""
    return _raw_workbook(
        heading_row(headers)
        + "".join(f'<row r="{n}" ht="20" customHeight="1"/>' for n in range(2, rows + 2))
    )


def _raw_workbook(sheet_data: str) -> bytes:
    book = openpyxl.Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{sheet_data}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = (
                sheet.encode() if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            )
            target.writestr(info.filename, data)
    return out.getvalue()


def run_hostile(headers: list[str]) -> None:
    from django.core.exceptions import ValidationError

    from klockaretorpet.sheet_import import max_rows

    limit = max_rows()
    layout = ActivityResource.sheet_layout()
    files = [
        (f"XFD-sparse, one heading, {limit:,} rows", xfd_sparse(limit, headers[:1])),
        (f"XFD-sparse, every heading, {limit:,} rows", xfd_sparse(limit, headers)),
        (
            f"widest allowed column ({openpyxl.utils.get_column_letter(layout.max_columns)}), "
            f"{limit:,} rows",
            widest_allowed(limit, headers, layout.max_columns),
        ),
        ("1,000,000 formatted blank rows", blank_rows(1_000_000, headers)),
    ]
    print(f"\n## Reading hostile files (target: ≤ {READ_GROWTH_MB} MB above the start)\n")
    print(f"| {'file':<44} | {'kB':>6} | {'seconds':>7} | {'+MB':>5} | outcome | target |")
    print(f"|{'-' * 46}|{'-' * 8}|{'-' * 9}|{'-' * 7}|{'-' * 9}|{'-' * 8}|")
    for name, content in files:
        outcome = []

        def read(content=content):
            try:
                read_activity_sheet(SimpleUploadedFile("fientlig.xlsx", content, XLSX_TYPE))
            except ValidationError as error:
                return error
            return None

        def after(result, outcome=outcome):
            outcome.append("refused" if result is not None else "read")

        figures = measure(read, after=after)
        growth = figures.growth_mb
        print(
            f"| {name:<44} | {len(content) / 1024:>6.0f} | {figures.seconds:>7.2f} | "
            f"{mb(growth):>5} | {outcome[0]:<7} | "
            f"{verdict(growth is None or growth <= READ_GROWTH_MB)} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="activities (default 5000)")
    parser.add_argument(
        "--heap", action="store_true", help="also run each operation under tracemalloc (slow)"
    )
    parser.add_argument(
        "--new-rows", type=int, default=NEW_ROWS, help=f"rows of the new-rows file ({NEW_ROWS})"
    )
    options = parser.parse_args()
    rows, heap = options.rows, options.heap

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    scenario = build(rows)
    plan, user = scenario.plan, scenario.user
    declaration = plan.declaration
    print(f"Built {rows:,} activities in {time.perf_counter() - started:.1f} s.")

    HistoricalActivity = Activity.history.model

    def portal_export():
        _name, content = export_activities_workbook(
            plan.activities.all(), declaration_slug=declaration.slug
        )
        return content

    def naive_export():
        return NaiveResource().export(Activity.objects.filter(plan=plan)).export("xlsx")

    def portal_import(dry_run):
        dataset = read_activity_sheet(SimpleUploadedFile("plan.xlsx", upload, XLSX_TYPE))
        return import_activities(
            declaration=declaration, dataset=dataset, user=user, dry_run=dry_run
        )

    def naive_import(dry_run):
        dataset = tablib.Dataset().load(upload, format="xlsx")
        return NaiveResource(user=user).import_data(dataset, dry_run=dry_run, use_transactions=True)

    outcomes, history, last_history = {}, {}, [0]

    def keep(key):
        """Keep a summary of what the timed run did (not its result, whose memory would count
        against the operations after it)."""

        def after(result):
            if isinstance(result, bytes):
                outcomes[key] = result
            elif hasattr(result, "counts"):
                outcomes[key] = (result.counts, result.problems[:3], len(result.problems))
            else:
                failed = result.has_errors() or result.has_validation_errors()
                outcomes[key] = ({k: n for k, n in result.totals.items() if n}, failed)
            if not key.startswith("confirmed"):
                return
            written = HistoricalActivity.objects.filter(history_id__gt=last_history[0])
            history[key] = (written.count(), written.filter(history_user=user).count())

        return after

    def fresh_data():
        scenario.restore()
        last_history[0] = (
            HistoricalActivity.objects.order_by("-history_id")
            .values_list("history_id", flat=True)
            .first()
            or 0
        )

    process_mb = reset_peak_rss()
    figures = {("export", "portal"): measure(portal_export, heap=heap, after=keep("export portal"))}
    # The naive resource reads and writes the portal's columns under the portal's headers; the
    # sheet to import is the portal's export with every other title changed.
    exported = outcomes.pop("export portal")
    first_row = next(openpyxl.load_workbook(io.BytesIO(exported), read_only=True).active.rows)
    by_field = dict(
        zip(ActivityResource._meta.export_order, (c.value for c in first_row), strict=True)
    )
    NaiveResource = naive_resource_class({name: by_field[name] for name in COLUMNS})
    upload, changed = edited_workbook(exported, by_field["title"])
    first_export = exported
    del exported, first_row

    figures |= {
        ("export", "naive"): measure(naive_export, heap=heap),
        ("preview", "portal"): measure(
            lambda: portal_import(True), heap=heap, after=keep("preview portal")
        ),
        ("preview", "naive"): measure(
            lambda: naive_import(True), heap=heap, after=keep("preview naive")
        ),
        ("confirmed import", "portal"): measure(
            lambda: portal_import(False),
            prepare=fresh_data,
            heap=heap,
            after=keep("confirmed portal"),
        ),
        ("confirmed import", "naive"): measure(
            lambda: naive_import(False),
            prepare=fresh_data,
            heap=heap,
            after=keep("confirmed naive"),
        ),
    }

    def peak(operation):
        peak_mb = figures[operation, "portal"].peak_mb
        return (f"peak ≤ {PEAK_MB} MB", peak_mb is None or peak_mb <= PEAK_MB)

    def lookups(operation):
        count = figures[operation, "portal"].lookups
        return (f"lookups ≤ {MAX_LOOKUPS} (not per row)", count <= MAX_LOOKUPS)

    def faster(operation):
        ours, naive = figures[operation, "portal"].seconds, figures[operation, "naive"].seconds
        return (
            f"≤ {IMPORT_RATIO}× naive = {IMPORT_RATIO * naive:.2f} s",
            ours <= IMPORT_RATIO * naive,
        )

    targets = {
        "export": [
            (f"≤ {EXPORT_SECONDS} s", figures["export", "portal"].seconds <= EXPORT_SECONDS),
            peak("export"),
        ],
        "preview": [faster("preview"), peak("preview"), lookups("preview")],
        "confirmed import": [
            faster("confirmed import"),
            peak("confirmed import"),
            lookups("confirmed import"),
        ],
    }

    print(
        f"Sheet: {rows:,} rows, {changed:,} titles changed, {len(upload) / 1024:.0f} kB. "
        f"Process size before the first operation: {mb(process_mb)} MB; {os.cpu_count()} CPUs."
    )
    print()
    print_table(rows, figures, targets, heap)

    print("\nWhat the imports did:")
    for key in ("preview portal", "confirmed portal"):
        counts, problems, problem_count = outcomes[key]
        print(f"  {key:<18}{counts}{f', {problem_count} problems' if problem_count else ''}")
        for problem in problems:
            print(f"    {problem}")
    for key in ("preview naive", "confirmed naive"):
        totals, failed = outcomes[key]
        print(f"  {key:<18}{totals}{', with errors' if failed else ''}")
    counts = outcomes["confirmed portal"][0]
    expected = counts["new"] + counts["changed"]
    written, with_user = history["confirmed portal"]
    print(
        f"\nHistory records written by the portal's confirmed import: {written:,} "
        f"({with_user:,} naming the user) for {expected:,} changed or created activities: "
        f"{verdict(written == expected == with_user)}"
    )
    written, with_user = history["confirmed naive"]
    print(
        f"History records written by the naive confirmed import: {written:,} "
        f"({with_user:,} naming the user; it saves every row)"
    )
    print_repeated(rows, figures)
    run_new_rows(scenario, by_field, first_export, options.new_rows)
    run_hostile(list(by_field.values()))
    print(f"\nTotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
