import datetime
import io

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from plans.models import Activity, ActivityStatus, ActivityType
from plans.resources import export_activities_workbook, import_activities, read_activity_sheet
from strategies.models import Organisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def importer(django_user_model):
    return django_user_model.objects.create_user("importor", first_name="Ingrid")


def exported_sheet(declaration):
    plan = declaration.activity_plans.get()
    _name, content = export_activities_workbook(
        plan.activities.all(), declaration_slug=declaration.slug
    )
    return openpyxl.load_workbook(io.BytesIO(content))


def as_upload(workbook, name="aktiviteter.xlsx"):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def columns(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1]}


def row_of(sheet, code) -> int:
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == code:
            return row[0].row
    raise AssertionError(code)


def run_import(declaration, workbook, user, *, dry_run=False):
    dataset = read_activity_sheet(as_upload(workbook))
    return import_activities(declaration=declaration, dataset=dataset, user=user, dry_run=dry_run)


def history_total() -> int:
    return Activity.history.count()


def test_unchanged_export_imports_as_unchanged_and_writes_nothing(declaration, importer):
    before = history_total()

    outcome = run_import(declaration, exported_sheet(declaration), importer)

    assert outcome.ok, outcome.problems
    assert outcome.counts == {"new": 0, "changed": 0, "unchanged": 5, "invalid": 0}
    assert history_total() == before


def test_edited_file_changes_exactly_what_was_edited(declaration, importer):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    col = columns(sheet)
    sheet.cell(row_of(sheet, "1.1.1"), col["Aktivitet"]).value = "Ny rubrik för 1.1.1"
    sheet.cell(row_of(sheet, "1.3.1"), col["Planerat slut"]).value = "2026-06"
    new_row = sheet.max_row + 1
    sheet.cell(new_row, col["Strategi"]).value = "2.2"
    sheet.cell(new_row, col["Aktivitet"]).value = "Läxhjälp på biblioteket"
    sheet.cell(new_row, col["Status"]).value = " Pågående "
    sheet.cell(new_row, col["Aktivitetstyp"]).value = "inom befintlig budget"
    sheet.cell(new_row, col["Ansvarig organisation"]).value = "Hyresbostäder"
    before = history_total()

    preview = run_import(declaration, workbook, importer, dry_run=True)
    assert preview.counts == {"new": 1, "changed": 2, "unchanged": 3, "invalid": 0}
    assert history_total() == before
    outcome = run_import(declaration, workbook, importer)

    assert outcome.ok, outcome.problems
    assert Activity.objects.get(reference_code="1.1.1").title == "Ny rubrik för 1.1.1"
    assert Activity.objects.get(reference_code="1.3.1").planned_end == datetime.date(2026, 6, 1)
    created = Activity.objects.get(title="Läxhjälp på biblioteket")
    assert created.reference_code == "2.2.1"
    assert created.status == ActivityStatus.ONGOING
    assert created.activity_type == ActivityType.EXISTING_BUDGET
    assert created.lead_organisation.name == "Hyresbostäder i Norrköping"
    new_records = Activity.history.order_by("-history_id")[: history_total() - before]
    assert {record.history_user for record in new_records} == {importer}
    assert history_total() - before == 3


def test_every_bad_row_is_reported_and_nothing_is_written(declaration, importer):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    col = columns(sheet)
    sheet.cell(row_of(sheet, "1.1.1"), col["Aktivitet"]).value = "Giltig ändring"
    bad = row_of(sheet, "1.2.1")
    sheet.cell(bad, col["Strategi"]).value = "Finns inte"
    sheet.cell(bad, col["Status"]).value = "klar typ"
    dates = row_of(sheet, "1.3.1")
    sheet.cell(dates, col["Planerad start"]).value = "2026-05"
    sheet.cell(dates, col["Planerat slut"]).value = "2026-01"
    sheet.cell(row_of(sheet, "3.1.1"), col["Ansvarig organisation"]).value = "Okänd AB"
    sheet.cell(row_of(sheet, "3.2.1"), col["Planerad start"]).value = "våren"

    outcome = run_import(declaration, workbook, importer)
    text = "\n".join(outcome.problems)

    assert not outcome.ok
    assert f"Rad {bad}, kolumn ”Strategi”: Okänd strategi ”Finns inte”" in text
    assert "1.1 Ökad rörelse och sammankoppling" in text  # the known strategies are listed
    assert f"Rad {bad}, kolumn ”Status”: Okänt värde ”klar typ”" in text
    assert f"Rad {dates}, kolumn ”Planerat slut”: Planerat slut kan inte ligga före" in text
    assert "kolumn ”Ansvarig organisation”: Okänd organisation ”Okänd AB”" in text
    assert "kolumn ”Planerad start”: ”våren” är inte en månad" in text
    assert len(outcome.problems) == 5
    assert Activity.objects.get(reference_code="1.1.1").title != "Giltig ändring"


def test_rows_changed_since_the_export_are_refused_naming_who(declaration, importer):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    sheet.cell(row_of(sheet, "1.1.1"), columns(sheet)["Aktivitet"]).value = "Från filen"
    someone = type(importer).objects.create_user("kollega", first_name="Karin", last_name="K")
    activity = Activity.objects.get(reference_code="1.1.1")
    later = Activity.objects.get(pk=activity.pk)
    later._history_user = someone
    later.title = "Ändrad i portalen"
    # Saved a little later than the export, as a colleague would.
    later.save()
    Activity.objects.filter(pk=activity.pk).update(
        updated_at=timezone.now() + datetime.timedelta(minutes=5)
    )

    outcome = run_import(declaration, workbook, importer)

    assert not outcome.ok
    assert "Aktivitet 1.1.1 har ändrats av Karin K kl." in outcome.problems[0]
    assert "efter att filen exporterades" in outcome.problems[0]
    assert Activity.objects.get(pk=activity.pk).title == "Ändrad i portalen"


def test_missing_column_names_what_is_expected(declaration, importer):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    sheet.cell(1, columns(sheet)["Strategi"]).value = "Stratgi"

    with pytest.raises(ValidationError) as refused:
        run_import(declaration, workbook, importer)

    (message,) = refused.value.messages
    assert "Filen ”aktiviteter.xlsx” saknar kolumnen/kolumnerna ”Strategi”" in message
    assert "Referenskod; Målbild; Strategi; Aktivitet" in message


def test_semicolon_csv_with_byte_order_mark_imports(declaration, importer):
    text = (
        "Referenskod;Strategi;Aktivitet;Status;Planerad start;Planerat slut\r\n"
        ";3.3;Skyltning till motionsspåret;planerad;2025-04;2025-09\r\n"
    )
    upload = SimpleUploadedFile("aktiviteter.csv", "\ufeff".encode() + text.encode("utf-8"))

    outcome = import_activities(
        declaration=declaration,
        dataset=read_activity_sheet(upload),
        user=importer,
        dry_run=False,
    )

    assert outcome.ok, outcome.problems
    created = Activity.objects.get(title="Skyltning till motionsspåret")
    assert (created.reference_code, created.planned_start) == ("3.3.1", datetime.date(2025, 4, 1))


def test_command_previews_then_imports_with_the_user(declaration, importer, tmp_path, capsys):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    sheet.cell(row_of(sheet, "1.1.1"), columns(sheet)["Aktivitet"]).value = "Via kommandot"
    path = tmp_path / "plan.xlsx"
    workbook.save(path)

    call_command("import_activities", str(path), "--declaration", "klockaretorpet", "--dry-run")
    assert Activity.objects.get(reference_code="1.1.1").title != "Via kommandot"
    with pytest.raises(CommandError, match="--user"):
        call_command("import_activities", str(path), "--declaration", "klockaretorpet")
    importer.groups.add(Group.objects.get(name="Planadministratör"))
    call_command(
        "import_activities", str(path), "--declaration", "klockaretorpet", "--user", "importor"
    )

    assert Activity.objects.get(reference_code="1.1.1").title == "Via kommandot"
    assert Activity.objects.get(reference_code="1.1.1").history.first().history_user == importer
    printed = capsys.readouterr().out
    assert "Skulle importeras: 0 nya, 1 ändrade" in printed
    assert "(1.1.1): Aktivitet: ”Fysiska åtgärder" in printed
    assert "→ ”Via kommandot”" in printed


def test_command_refuses_a_renamed_pdf(declaration, tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    with pytest.raises(CommandError, match="är ett PDF-dokument"):
        call_command("import_activities", str(path), "--declaration", "klockaretorpet", "--dry-run")


def test_organisations_by_short_name_and_strategy_by_title(declaration, importer):
    OrganisationFactory(name="Polismyndigheten", short_name="Polisen")
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    col = columns(sheet)
    row = row_of(sheet, "1.2.1")
    sheet.cell(row, col["Strategi"]).value = "  verksamheter OCH funktionsblandning "
    sheet.cell(row, col["Medansvariga organisationer"]).value = "polisen; Hyresbostäder"

    outcome = run_import(declaration, workbook, importer)

    assert outcome.ok, outcome.problems
    activity = Activity.objects.get(reference_code="1.2.1")
    assert sorted(org.name for org in activity.co_organisations.all()) == [
        "Hyresbostäder i Norrköping",
        "Polismyndigheten",
    ]


@pytest.mark.parametrize("dry_run", [True, False], ids=["preview", "import"])
def test_unknown_names_in_list_cells_are_reported_in_their_column(declaration, importer, dry_run):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    col = columns(sheet)
    row = row_of(sheet, "1.2.1")
    sheet.cell(row, col["Aktivitet"]).value = "Ändrad rubrik"
    sheet.cell(row, col["Medansvariga organisationer"]).value = "Hyresbostäder; Okänd förening"

    outcome = run_import(declaration, workbook, importer, dry_run=dry_run)

    assert outcome.problems == [
        f"Rad {row}, kolumn ”Medansvariga organisationer”: Okänd organisation ”Okänd förening”."
        " Kända: " + "; ".join(Organisation.objects.values_list("name", flat=True)) + "."
    ]
    assert Activity.objects.get(reference_code="1.2.1").title != "Ändrad rubrik"


def test_preview_lists_each_changed_cell_from_old_to_new(declaration, importer):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    col = columns(sheet)
    row = row_of(sheet, "1.1.1")
    old_title = sheet.cell(row, col["Aktivitet"]).value
    sheet.cell(row, col["Aktivitet"]).value = "Ny rubrik"
    sheet.cell(row, col["Status"]).value = "Genomförd"
    before = history_total()

    preview = run_import(declaration, workbook, importer, dry_run=True)

    assert preview.changes == [
        f"Rad {row} (1.1.1): Aktivitet: ”{old_title}” → ”Ny rubrik”; "
        f"Status: ”{Activity.objects.get(reference_code='1.1.1').get_status_display()}”"
        " → ”genomförd”"
    ]
    assert history_total() == before
    assert Activity.objects.get(reference_code="1.1.1").title == old_title


def test_indicator_cell_round_trips_and_accepts_decimal_commas(declaration, importer):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    cell = sheet.cell(row_of(sheet, "1.3.1"), columns(sheet)["Indikatorer"])
    assert cell.value == "Trygga boende (%): 58,5 (2022) → 1500"
    cell.value = "Trygga boende (%): 60,25 (2023) → 75 (2026); Nya besökare (st): – → 1 200 (2026)"

    outcome = run_import(declaration, workbook, importer)

    assert outcome.ok, outcome.problems
    activity = Activity.objects.get(reference_code="1.3.1")
    indicators = {i.name: i for i in activity.indicators.all()}
    assert str(indicators["Trygga boende"].baseline_value) == "60.25"
    assert indicators["Trygga boende"].target_year == 2026
    assert str(indicators["Nya besökare"].target_value) == "1200.00"
    assert indicators["Nya besökare"].baseline_value is None
    assert indicators["Nya besökare"].history.first().history_user == importer


@pytest.mark.parametrize("dry_run", [True, False], ids=["preview", "import"])
def test_bad_indicator_cells_are_reported_in_their_column(declaration, importer, dry_run):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    row = row_of(sheet, "1.3.1")
    sheet.cell(row, columns(sheet)["Indikatorer"]).value = "Trygga boende (%): mycket (2022) → 75"
    other = row_of(sheet, "1.1.1")
    sheet.cell(other, columns(sheet)["Indikatorer"]).value = "Besök: 10 → 20 (2015)"

    outcome = run_import(declaration, workbook, importer, dry_run=dry_run)
    text = "\n".join(outcome.problems)

    assert not outcome.ok
    assert f"Rad {row}, kolumn ”Indikatorer”: Indikatorn ”Trygga boende”: ”mycket”" in text
    assert f"Rad {other}, kolumn ”Indikatorer”: Besök: Målåret 2015 ligger utanför" in text
    assert not Activity.objects.get(reference_code="1.1.1").indicators.exists()


def test_wrong_columns_are_reported_once_for_the_file_not_per_row(declaration, importer):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    sheet.cell(1, columns(sheet)["Strategi"]).value = "Stratgi"

    with pytest.raises(ValidationError) as refused:
        run_import(declaration, workbook, importer)

    assert len(refused.value.messages) == 1


def test_more_rows_than_the_limit_are_refused(declaration, importer, settings):
    settings.IMPORT_MAX_ROWS = 3

    with pytest.raises(ValidationError) as refused:
        run_import(declaration, exported_sheet(declaration), importer)

    assert refused.value.messages == [
        "Filen ”aktiviteter.xlsx” har fler än 3 rader; högst 3 kan importeras på en gång. "
        "Dela upp den i flera filer."
    ]


def test_a_csv_with_nul_bytes_is_refused_before_anything_is_read(declaration):
    # PostgreSQL text cannot hold NUL; such a "CSV" is binary data anyway.
    text = "Referenskod;Strategi;Aktivitet;Status\r\n;3.3;Skylt\x00ning;planerad\r\n"
    upload = SimpleUploadedFile("aktiviteter.csv", text.encode("utf-8"))

    with pytest.raises(ValidationError, match="varken en Excelarbetsbok"):
        read_activity_sheet(upload)


def test_two_new_rows_with_the_same_code_are_refused_by_name(declaration, importer):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    col = columns(sheet)
    rows = []
    for offset in (1, 2):
        row = sheet.max_row + 1
        rows.append(row)
        sheet.cell(row, col["Referenskod"]).value = "2.2.7"
        sheet.cell(row, col["Strategi"]).value = "2.2"
        sheet.cell(row, col["Aktivitet"]).value = f"Dubblett {offset}"
        sheet.cell(row, col["Status"]).value = "planerad"

    outcome = run_import(declaration, workbook, importer)

    assert not outcome.ok
    assert (
        f"Rad {rows[1]}, kolumn ”Referenskod”: En annan aktivitet i planen har redan den här "
        f"referenskoden: 2.2.7 står också på rad {rows[0]}." in outcome.problems
    )
    assert not Activity.objects.filter(title__startswith="Dubblett").exists()


# --- a strategy is this declaration's by number and title ------------------------------------


def test_a_strategy_of_another_plan_with_the_same_number_is_refused_naming_the_cell(
    declaration, importer
):
    workbook = exported_sheet(declaration)
    row = row_of(workbook.active, "1.1.1")
    workbook.active.cell(
        row, columns(workbook.active)["Strategi"]
    ).value = "1.1 Navestad grönska 13"

    outcome = run_import(declaration, workbook, importer)

    (problem,) = outcome.problems
    assert problem.startswith(
        f"Rad {row}, kolumn ”Strategi”: ”1.1 Navestad grönska 13” stämmer inte med den här "
        "avsiktsförklaringens strategi 1.1, ”Ökad rörelse och sammankoppling”"
    )


def test_a_row_pasted_from_another_districts_plan_does_not_become_an_activity_here(
    declaration, importer
):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    row = sheet.max_row + 1
    for header, value in {
        "Referenskod": "2.1.4",
        "Strategi": "2.1 Trygga mötesplatser i Navestad",
        "Aktivitet": "Navestads sommarlovsaktiviteter",
        "Status": "planerad",
    }.items():
        sheet.cell(row, columns(sheet)[header]).value = value

    outcome = run_import(declaration, workbook, importer)

    assert outcome.problems[0].startswith(f"Rad {row}, kolumn ”Strategi”: ”2.1 Trygga mötesplatser")
    assert not Activity.objects.filter(title="Navestads sommarlovsaktiviteter").exists()


def test_a_strategy_by_number_alone_or_in_another_letter_case_is_this_declarations(
    declaration, importer
):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    sheet.cell(row_of(sheet, "1.1.1"), columns(sheet)["Strategi"]).value = "1.1"
    sheet.cell(
        row_of(sheet, "1.2.1"), columns(sheet)["Strategi"]
    ).value = "1.2  VERKSAMHETER och  funktionsblandning"

    outcome = run_import(declaration, workbook, importer)

    assert outcome.ok, outcome.problems
    assert outcome.counts["changed"] == 0


# --- the command imports as a plan administrator ---------------------------------------------


@pytest.mark.parametrize("role", ["Läsare", "Redaktör", None])
def test_the_command_refuses_a_user_who_may_not_import_before_reading_the_file(
    declaration, django_user_model, tmp_path, role
):
    user = django_user_model.objects.create_user("lasare")
    if role:
        user.groups.add(Group.objects.get(name=role))
    # Not a workbook at all: the user is refused before the file is looked at.
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"%PDF-1.7\n")
    history_before = Activity.history.count()

    with pytest.raises(CommandError) as refused:
        call_command(
            "import_activities", str(path), "--declaration", "klockaretorpet", "--user", "lasare"
        )

    assert str(refused.value) == (
        "Användaren ”lasare” får inte importera aktiviteter: bara planadministratörer får det."
    )
    assert Activity.history.count() == history_before
