"""The sheet import engine's promises (`klockaretorpet.sheet_import`), kept whatever tool saved
the file: no lost update, nothing written for an unchanged file, every row named as the
spreadsheet program shows it, one history record per new activity, work per file rather than
per row. Shown through the activity import; tests/followup/test_resources.py shows the same rules
through the round import."""

import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans.models import Activity, Indicator
from plans.resources import export_activities_workbook, import_activities, read_activity_sheet
from strategies.models import IntentDeclaration, Organisation, SuccessFactor
from tests.plans.test_import import columns, row_of
from tests.sheet_files import (
    as_excel_csv,
    saved_by_libreoffice,
    upload,
    without_column,
    workbook_bytes,
)

pytestmark = pytest.mark.django_db

CHANGED = "Senast ändrad"


@pytest.fixture
def declaration(db):
    call_command("loaddata", "klockaretorpet", verbosity=0)
    # As if the plan was exported an hour after its last change: a colleague's change made
    # during the test is then later than the file, however fast the test runs.
    Activity.objects.update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    return IntentDeclaration.objects.get(slug="klockaretorpet")


@pytest.fixture
def importer(django_user_model):
    return django_user_model.objects.create_user("importor", first_name="Ingrid")


@pytest.fixture
def colleague(django_user_model):
    return django_user_model.objects.create_user("kollega", first_name="Karin", last_name="K")


def exported(declaration):
    plan = declaration.activity_plans.get()
    _name, content = export_activities_workbook(
        plan.activities.all(), declaration_slug=declaration.slug
    )
    return openpyxl.load_workbook(io.BytesIO(content))


def set_cell(workbook, code, header, value) -> int:
    sheet = workbook.active
    row = row_of(sheet, code)
    sheet.cell(row, columns(sheet)[header]).value = value
    return row


def add_row(workbook, **values) -> int:
    sheet = workbook.active
    row = sheet.max_row + 1
    for header, value in values.items():
        sheet.cell(row, columns(sheet)[header]).value = value
    return row


def import_file(declaration, content, user, *, name="aktiviteter.xlsx", dry_run=False):
    dataset = read_activity_sheet(upload(content, name))
    return import_activities(declaration=declaration, dataset=dataset, user=user, dry_run=dry_run)


def changed_by_colleague(colleague, code, **values) -> Activity:
    activity = Activity.objects.get(reference_code=code)
    for name, value in values.items():
        setattr(activity, name, value)
    activity._history_user = colleague
    activity.save()
    return activity


# --- case 1: a CSV keeps the stale-row check -------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_an_old_export_saved_as_excel_csv_cannot_undo_a_colleagues_change(
    declaration, importer, colleague, encoding
):
    workbook = exported(declaration)
    changed_by_colleague(colleague, "1.2.1", measurability="Karins mått.")
    set_cell(workbook, "3.1.1", "Aktivitet", "Ny rubrik från filen")

    outcome = import_file(
        declaration, as_excel_csv(workbook, encoding=encoding), importer, name="plan.csv"
    )

    assert not outcome.ok
    (problem,) = outcome.problems
    row = row_of(workbook.active, "1.2.1")
    assert problem.startswith(f"Rad {row}, kolumn ”{CHANGED}”: Aktivitet 1.2.1 har ändrats av ")
    assert "Karin K" in problem
    assert "efter att filen exporterades" in problem
    assert Activity.objects.get(reference_code="1.2.1").measurability == "Karins mått."
    assert Activity.objects.get(reference_code="3.1.1").title != "Ny rubrik från filen"


@pytest.mark.needs("libreoffice-calc-nogui")
def test_an_old_export_saved_as_csv_by_libreoffice_cannot_undo_a_colleagues_change(
    declaration, importer, colleague, tmp_path
):
    content = saved_by_libreoffice(workbook_bytes(exported(declaration)), tmp_path, to="csv")
    changed_by_colleague(colleague, "1.2.1", measurability="Karins mått.")

    outcome = import_file(declaration, content, importer, name="plan.csv")

    assert not outcome.ok
    assert "Aktivitet 1.2.1 har ändrats av Karin K" in outcome.problems[0]
    assert Activity.objects.get(reference_code="1.2.1").measurability == "Karins mått."


def test_a_csv_of_an_unchanged_plan_imports_as_unchanged(declaration, importer):
    before = Activity.history.count()

    outcome = import_file(declaration, as_excel_csv(exported(declaration)), importer, name="p.csv")

    assert outcome.ok, outcome.problems
    assert outcome.counts == {"new": 0, "changed": 0, "unchanged": 4, "invalid": 0}
    assert Activity.history.count() == before


# --- case 2: without the “last changed” column ------------------------------------------------


def test_a_workbook_without_the_column_may_change_only_what_nobody_changed_since_it_was_made(
    declaration, importer, colleague
):
    workbook = exported(declaration)
    changed_by_colleague(colleague, "1.2.1", measurability="Karins mått.")
    refused_row = set_cell(workbook, "1.2.1", "Aktivitet", "Från filen")
    set_cell(workbook, "3.1.1", "Aktivitet", "Ny rubrik från filen")
    without_column(workbook, CHANGED)

    outcome = import_file(declaration, workbook_bytes(workbook), importer)

    assert not outcome.ok
    (problem,) = outcome.problems
    assert problem.startswith(f"Rad {refused_row}, kolumn ”{CHANGED}”: Aktivitet 1.2.1 har ")
    assert "efter att filen exporterades" in problem

    # Without the colleague's row, the file's own change goes through: 3.1.1 has not changed
    # since the workbook was made (its document properties say when).
    workbook.active.delete_rows(refused_row)
    outcome = import_file(declaration, workbook_bytes(workbook), importer)

    assert outcome.ok, outcome.problems
    assert outcome.counts["changed"] == 1
    assert Activity.objects.get(reference_code="3.1.1").title == "Ny rubrik från filen"
    assert Activity.objects.get(reference_code="1.2.1").measurability == "Karins mått."


def test_a_csv_without_the_column_may_add_activities_but_change_none(declaration, importer):
    workbook = exported(declaration)
    row = set_cell(workbook, "3.1.1", "Aktivitet", "Ny rubrik från filen")
    add_row(workbook, Strategi="3.3", Aktivitet="Skyltning", Status="planerad")
    without_column(workbook, CHANGED)
    content = as_excel_csv(workbook)

    refused = import_file(declaration, content, importer, name="plan.csv")

    assert not refused.ok
    (problem,) = refused.problems
    assert problem.startswith(f"Rad {row}, kolumn ”{CHANGED}”: Aktivitet 3.1.1 har ändrats ")
    assert "filen visar inte när den exporterades" in problem

    workbook.active.delete_rows(row)
    outcome = import_file(declaration, as_excel_csv(workbook), importer, name="plan.csv")

    assert outcome.ok, outcome.problems
    assert outcome.counts == {"new": 1, "changed": 0, "unchanged": 3, "invalid": 0}


def test_an_unreadable_last_changed_cell_is_reported_in_its_column(declaration, importer):
    workbook = exported(declaration)
    row = set_cell(workbook, "3.1.1", "Aktivitet", "Ny rubrik")
    set_cell(workbook, "3.1.1", CHANGED, "i förrgår")

    outcome = import_file(declaration, workbook_bytes(workbook), importer)

    assert outcome.problems == [
        f"Rad {row}, kolumn ”{CHANGED}”: ”i förrgår” är ingen tidpunkt. Låt kolumnen "
        f"”{CHANGED}” vara som den exporterades (ÅÅÅÅ-MM-DD TT:MM)."
    ]


# --- case 4: the same text, whatever line breaks it was saved with ------------------------------


def test_an_unchanged_file_is_unchanged_whatever_line_breaks_the_portal_stored(
    declaration, importer
):
    # As a browser sends a textarea: CRLF, and a space left at the end of a line.
    Activity.objects.filter(reference_code="1.1.1").update(
        description="Första raden  \r\nandra raden\r\n", measurability="Mått \r\n"
    )
    activity = Activity.objects.get(reference_code="1.1.1")
    history_before = Activity.history.count()

    outcome = import_file(declaration, workbook_bytes(exported(declaration)), importer)

    assert outcome.ok, outcome.problems
    assert outcome.counts == {"new": 0, "changed": 0, "unchanged": 4, "invalid": 0}
    assert Activity.history.count() == history_before
    assert Activity.objects.get(pk=activity.pk).version == activity.version


# --- case 13: control characters are refused at input, by cell --------------------------------


def test_a_control_character_excel_escaped_in_a_cell_is_refused_naming_row_and_column(
    declaration, importer
):
    # Excel and LibreOffice keep a control character in a cell as the escape "_x0001_".
    workbook = exported(declaration)
    row = set_cell(workbook, "1.1.1", "Aktivitet", '_x0001_=HYPERLINK("http://example.com")')
    history_before = Activity.history.count()

    outcome = import_file(declaration, workbook_bytes(workbook), importer)

    assert not outcome.ok
    assert len(outcome.problems) == 1
    assert outcome.problems[0].startswith(f"Rad {row}, kolumn ”Aktivitet”: Texten innehåller")
    assert "U+0001" in outcome.problems[0]
    assert Activity.history.count() == history_before


def test_a_control_character_pasted_into_a_csv_cell_is_refused_by_cell_not_as_binary(
    declaration, importer
):
    workbook = exported(declaration)
    row = set_cell(workbook, "1.1.1", "Aktivitet", "Inklistrad\x01 rubrik".replace("\x01", "#1#"))
    content = as_excel_csv(workbook).replace(b"#1#", b"\x01")

    outcome = import_file(declaration, content, importer, name="plan.csv")

    assert len(outcome.problems) == 1
    assert outcome.problems[0].startswith(f"Rad {row}, kolumn ”Aktivitet”: Texten innehåller")
    assert "U+0001" in outcome.problems[0]


def test_a_cell_over_its_fields_length_limit_is_refused_naming_row_column_and_limit(
    declaration, importer
):
    workbook = exported(declaration)
    row = set_cell(workbook, "1.2.1", "Mätbarhet", "m" * 501)

    outcome = import_file(declaration, workbook_bytes(workbook), importer)

    assert outcome.problems == [
        f"Rad {row}, kolumn ”Mätbarhet”: ”Mätbarhet” får vara högst 500 tecken lång; texten "
        "har 501 tecken."
    ]


# --- case 7: rows as the spreadsheet program numbers them ----------------------------------------


def test_a_problem_below_blank_rows_names_the_row_the_program_shows(declaration, importer):
    workbook = exported(declaration)
    sheet = workbook.active
    last = sheet.max_row
    # Blank rows, as someone leaves between blocks of a sheet.
    bad = last + 4
    sheet.cell(bad, columns(sheet)["Strategi"]).value = "3.3"
    sheet.cell(bad, columns(sheet)["Aktivitet"]).value = "Efter tomma rader"
    sheet.cell(bad, columns(sheet)["Status"]).value = "klar typ"

    outcome = import_file(declaration, workbook_bytes(workbook), importer)

    assert outcome.problems[0].startswith(f"Rad {bad}, kolumn ”Status”: Okänt värde ”klar typ”")


# --- case 9: rows the file leaves out --------------------------------------------------------


def test_the_preview_lists_the_activities_the_file_leaves_out_and_keeps_them(declaration, importer):
    workbook = exported(declaration)
    workbook.active.delete_rows(row_of(workbook.active, "1.2.1"))
    title = Activity.objects.get(reference_code="1.2.1").title

    outcome = import_file(declaration, workbook_bytes(workbook), importer)

    assert outcome.ok
    assert outcome.absent == [f"1.2.1 {title}"]
    assert Activity.objects.filter(reference_code="1.2.1").exists()


def test_the_import_command_says_which_activities_the_file_leaves_out(
    declaration, importer, tmp_path, capsys
):
    workbook = exported(declaration)
    workbook.active.delete_rows(row_of(workbook.active, "1.2.1"))
    path = tmp_path / "plan.xlsx"
    workbook.save(path)

    call_command("import_activities", str(path), "--declaration", "klockaretorpet", "--dry-run")

    printed = capsys.readouterr().out
    assert "Finns i planen men inte i filen (lämnas som de är): 1.2.1 " in printed


def test_a_confirmed_import_never_lists_the_activities_it_created_as_left_out(
    declaration, importer
):
    workbook = exported(declaration)
    workbook.active.delete_rows(row_of(workbook.active, "1.2.1"))
    add_row(workbook, Strategi="1.1", Aktivitet="Nattvandring med föräldrar", Status="planerad")

    outcome = import_file(declaration, workbook_bytes(workbook), importer)

    assert outcome.ok, outcome.problems
    assert [line.split()[0] for line in outcome.absent] == ["1.2.1"]


# --- case 10: a Windows-1252 CSV loses characters ---------------------------------------------


def test_characters_a_windows_1252_csv_lost_do_not_change_the_plan(declaration, importer):
    activity = Activity.objects.get(reference_code="1.1.1")
    activity.description = "Minst ≥ 3 träffar"
    activity.save()
    Indicator.objects.create(activity=activity, name="Besök", baseline_value=1, target_value=2)
    workbook = exported(declaration)
    history_before = Activity.history.count()

    unchanged = import_file(
        declaration, as_excel_csv(workbook, encoding="cp1252"), importer, name="plan.csv"
    )

    assert unchanged.ok, unchanged.problems
    assert unchanged.counts["changed"] == 0
    assert Activity.history.count() == history_before
    assert Activity.objects.get(pk=activity.pk).description == "Minst ≥ 3 träffar"

    row = set_cell(workbook, "1.1.1", "Beskrivning", "Minst ≥ 4 träffar")
    refused = import_file(
        declaration, as_excel_csv(workbook, encoding="cp1252"), importer, name="plan.csv"
    )

    assert refused.problems == [
        f"Rad {row}, kolumn ”Beskrivning”: Filen är en CSV-fil sparad som Windows-1252, som "
        "inte kan lagra tecknen ≥ som den här cellen har i portalen; att spara cellen skulle "
        "göra dem till ”?”. Spara filen som ”CSV UTF-8” eller som Excelarbetsbok (.xlsx) i "
        "stället."
    ]


def test_an_indicator_typed_with_an_ascii_arrow_in_a_windows_1252_csv_is_read(
    declaration, importer
):
    workbook = exported(declaration)
    set_cell(workbook, "3.1.1", "Indikatorer", "Besök per månad (st): 120 (2024) -> 300 (2026)")

    outcome = import_file(
        declaration, as_excel_csv(workbook, encoding="cp1252"), importer, name="plan.csv"
    )

    assert outcome.ok, outcome.problems
    indicator = Indicator.objects.get(activity__reference_code="3.1.1")
    assert (indicator.baseline_value, indicator.target_year) == (120, 2026)


def test_an_arrow_turned_into_a_question_mark_is_explained(declaration, importer):
    workbook = exported(declaration)
    row = set_cell(workbook, "3.1.1", "Indikatorer", "Besök per månad (st): 120 (2024) → 300")

    outcome = import_file(
        declaration, as_excel_csv(workbook, encoding="cp1252"), importer, name="plan.csv"
    )

    (problem,) = outcome.problems
    assert problem.startswith(f"Rad {row}, kolumn ”Indikatorer”: ")
    assert "Skriv -> i stället för →" in problem


# --- cases 11 and 15: new activities, written together ---------------------------------------


def new_rows(declaration, count: int):
    workbook = exported(declaration)
    for number in range(1, count + 1):
        add_row(
            workbook,
            Strategi="3.3",
            Aktivitet=f"Ny aktivitet {number}",
            Status="planerad",
            **{
                "Medansvariga organisationer": "Norrköpings kommun; Hyresbostäder i Norrköping",
                "Kritiska framgångsfaktorer": SuccessFactor.objects.first().title,
                "Indikatorer": "Besök per månad (st): 120 (2024) → 300 (2026)",
            },
        )
    return workbook_bytes(workbook)


def test_each_new_activity_gets_one_history_record_holding_its_links(declaration, importer):
    outcome = import_file(declaration, new_rows(declaration, 2), importer)

    assert outcome.ok, outcome.problems
    created = Activity.objects.filter(title__startswith="Ny aktivitet").order_by("code_serial")
    assert [activity.reference_code for activity in created] == ["3.3.1", "3.3.2"]
    for activity in created:
        (record,) = activity.history.all()
        assert record.history_type == "+"
        assert record.history_user == importer
        assert {link.organisation.name for link in record.co_organisations.all()} == {
            "Norrköpings kommun",
            "Hyresbostäder i Norrköping",
        }
        assert set(activity.co_organisations.values_list("pk", flat=True)) == set(
            Organisation.objects.filter(
                name__in=["Norrköpings kommun", "Hyresbostäder i Norrköping"]
            ).values_list("pk", flat=True)
        )
        (indicator,) = activity.indicators.all()
        assert (indicator.name, indicator.history.get().history_user) == (
            "Besök per månad",
            importer,
        )


def test_the_preview_shows_the_codes_new_activities_will_get_and_writes_nothing(
    declaration, importer
):
    outcome = import_file(declaration, new_rows(declaration, 2), importer, dry_run=True)

    assert [line.split(": ", 1)[1] for line in outcome.changes] == [
        "ny aktivitet 3.3.1 ”Ny aktivitet 1”",
        "ny aktivitet 3.3.2 ”Ny aktivitet 2”",
    ]
    assert not Activity.objects.filter(title__startswith="Ny aktivitet").exists()


@pytest.mark.parametrize("dry_run", [True, False], ids=["preview", "import"])
def test_new_rows_cost_the_same_queries_for_ten_rows_as_for_forty(declaration, importer, dry_run):
    def queries(count: int) -> int:
        content = new_rows(declaration, count)
        with CaptureQueriesContext(connection) as captured:
            outcome = import_file(declaration, content, importer, dry_run=dry_run)
        assert outcome.ok, outcome.problems
        Activity.objects.filter(title__startswith="Ny aktivitet").delete()
        # The library's savepoint around each row is the only thing done per row.
        return sum(
            1
            for query in captured.captured_queries
            if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        )

    # Forty, not more: SQLite takes an INSERT of about fifty activities at a time.
    assert queries(10) == queries(40)
