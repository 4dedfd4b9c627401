"""A follow-up round's Excel round trip: export, fill in, preview, import — every row or none."""

import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from followup.models import ActivityReview, Assessment, FollowUp, IndicatorValue
from followup.resources import ReviewResource, export_round_workbook, import_round, read_round_sheet
from followup.rounds import close_round
from plans.models import Activity, ActivityStatus
from strategies.models import IntentDeclaration, Membership, Organisation
from tests.factories import (
    ActivityFactory,
    ActivityReviewFactory,
    IndicatorFactory,
    OrganisationFactory,
)
from tests.sheet_files import as_excel_csv, upload, without_column, workbook_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(db):
    """The Klockaretorpet plan with six activities led by the two partners and their units,
    and an open round for 2025."""
    call_command("loaddata", "klockaretorpet", verbosity=0)
    declaration = IntentDeclaration.objects.get(slug="klockaretorpet")
    plan = declaration.activity_plans.get()
    kommun = Organisation.objects.get(name="Norrköpings kommun")
    hbn = Organisation.objects.get(name="Hyresbostäder i Norrköping")
    kultur = OrganisationFactory(name="Kultur- och fritidskontoret", short_name="", parent=kommun)
    fastighet = OrganisationFactory(name="Fastighetsutveckling", short_name="", parent=hbn)
    for code, lead in [("1.1.1", hbn), ("1.2.1", fastighet), ("3.1.1", hbn), ("3.2.1", kultur)]:
        Activity.objects.filter(plan=plan, reference_code=code).update(lead_organisation=lead)
    goal_1, goal_2 = declaration.goals.get(position=1), declaration.goals.get(position=2)
    ActivityFactory(
        plan=plan,
        strategy=goal_1.strategies.get(position=3),
        title="Trygghetsvandringar",
        lead_organisation=kommun,
    )
    ActivityFactory(
        plan=plan,
        strategy=goal_2.strategies.get(position=1),
        title="Sommarjobb för unga",
        lead_organisation=hbn,
    )
    activities = {activity.reference_code: activity for activity in plan.activities.all()}
    IndicatorFactory(activity=activities["1.1.1"], name="Nöjda hyresgäster", unit="%")
    IndicatorFactory(activity=activities["3.1.1"], name="Besök per månad", unit="st")
    IndicatorFactory(activity=activities["1.3.1"], name="Trygga boende", unit="%")
    return FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))


def make_user(django_user_model, username, role, organisation=None, **names):
    user = django_user_model.objects.create_user(username, **names)
    user.groups.add(Group.objects.get(name=role))
    if organisation is not None:
        Membership.objects.create(
            user=user, organisation=Organisation.objects.get(name=organisation)
        )
    return user


@pytest.fixture
def admin(django_user_model):
    return make_user(
        django_user_model, "planadmin", "Planadministratör", first_name="Pia", last_name="Plan"
    )


@pytest.fixture
def colleague(django_user_model):
    return make_user(
        django_user_model, "kollega", "Planadministratör", first_name="Karin", last_name="K"
    )


@pytest.fixture
def editor(django_user_model):
    return make_user(
        django_user_model,
        "redaktor.hbn",
        "Redaktör",
        "Hyresbostäder i Norrköping",
        first_name="Hanna",
        last_name="H",
    )


def heading(name: str) -> str:
    """A column's heading in the language of the test run."""
    return ReviewResource().column_name(name)


def report(follow_up, code, user, **fields):
    """The activity's report, saved (or saved again) as `user` in the portal."""
    activity = follow_up.plan.activities.get(reference_code=code)
    return ActivityReviewFactory(
        follow_up=follow_up, activity=activity, user=user, every_indicator=Decimal("61.5"), **fields
    )


def import_round_file(path, *, user: str) -> None:
    """`import_followup` with the 2025 round of the Klockaretorpet plan, as an admin types it."""
    call_command(
        "import_followup",
        str(path),
        "--declaration",
        "klockaretorpet",
        "--year",
        "2025",
        "--user",
        user,
    )


def exported(follow_up, organisation=None):
    _name, content = export_round_workbook(follow_up, organisation)
    return openpyxl.load_workbook(io.BytesIO(content))


def as_upload(workbook, name="uppfoljning.xlsx"):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def run_import(follow_up, workbook, user, *, dry_run=False):
    dataset = read_round_sheet(as_upload(workbook))
    return import_round(follow_up=follow_up, dataset=dataset, user=user, dry_run=dry_run)


def cell(sheet, code, name):
    columns = {header.value: header.column for header in sheet[1]}
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == code:
            return sheet.cell(row[0].row, columns[heading(name)])
    raise AssertionError(code)


def fill(sheet, code, **values):
    for name, value in values.items():
        cell(sheet, code, name).value = value
    return cell(sheet, code, "reference_code").row


def codes(workbook) -> list[str]:
    return [row[0].value for row in workbook.active.iter_rows(min_row=2)]


def history_total() -> int:
    return sum(
        model.history.count() for model in (ActivityReview, IndicatorValue, Activity, FollowUp)
    )


def test_unchanged_export_of_a_reported_round_imports_as_unchanged_and_writes_nothing(
    follow_up, admin
):
    for code in ("1.1.1", "1.2.1", "1.3.1", "2.1.1", "3.1.1", "3.2.1"):
        report(follow_up, code, admin, next_step="Fortsätter 2026.\nMed två rader.")
    before = history_total()

    outcome = run_import(follow_up, exported(follow_up), admin)

    assert outcome.ok, outcome.problems
    assert outcome.counts == {
        "new": 0,
        "changed": 0,
        "unchanged": 6,
        "unreported": 0,
        "invalid": 0,
    }
    assert [row.kind for row in outcome.rows] == ["unchanged"] * 6
    assert outcome.changes == []
    assert history_total() == before


def test_export_of_an_unreported_round_lists_indicators_and_imports_as_not_reported(
    follow_up, admin
):
    workbook = exported(follow_up)
    sheet = workbook.active

    assert [header.value for header in sheet[1]] == ReviewResource().headers()
    assert cell(sheet, "1.1.1", "indicator_values").value == "Nöjda hyresgäster (%): –"
    assert cell(sheet, "1.1.1", "status_now").value == str(ActivityStatus.PLANNED.label)
    assert cell(sheet, "1.1.1", "last_changed").value is None
    outcome = run_import(follow_up, workbook, admin)

    assert outcome.ok, outcome.problems
    assert outcome.counts["unreported"] == 6
    assert not ActivityReview.objects.exists()


def test_filling_two_rows_creates_exactly_two_reports_in_the_users_name(follow_up, admin):
    workbook = exported(follow_up)
    sheet = workbook.active
    first = fill(
        sheet,
        "1.1.1",
        assessment=str(Assessment.ON_TRACK.label).upper(),
        done="Enkät genomförd i alla trapphus.",
        new_status=f" {ActivityStatus.ONGOING.label} ",
        indicator_values="nöjda hyresgäster: 61,5",
    )
    fill(
        sheet,
        "3.2.1",
        assessment=str(Assessment.DEVIATION.label),
        done="Halva programmet genomfört.",
        deviations="Upphandlingen blev försenad.",
        new_status=str(ActivityStatus.PAUSED.label),
    )

    preview = run_import(follow_up, workbook, admin, dry_run=True)

    assert preview.ok, preview.problems
    assert preview.counts == {"new": 2, "changed": 0, "unchanged": 0, "unreported": 4, "invalid": 0}
    assert not ActivityReview.objects.exists()
    row = next(row for row in preview.rows if row.code == "1.1.1")
    assert (row.number, row.kind) == (first, "new")
    changed = {change.column: (change.before, change.after) for change in row.changes}
    assert changed[heading("indicator_values")] == (
        "Nöjda hyresgäster (%): –",
        "Nöjda hyresgäster (%): 61,5",
    )
    assert changed[heading("assessment")] == ("", str(Assessment.ON_TRACK.label))
    assert heading("deviations") not in changed
    assert any("(1.1.1)" in line and "(%): 61,5”" in line for line in preview.changes)

    outcome = run_import(follow_up, workbook, admin)

    assert outcome.ok, outcome.problems
    assert ActivityReview.objects.count() == 2
    review = ActivityReview.objects.get(activity__reference_code="1.1.1")
    assert (review.assessment, review.new_status) == (Assessment.ON_TRACK, ActivityStatus.ONGOING)
    assert review.reviewed_by == admin
    assert review.history.get().history_user == admin
    value = review.indicator_values.get()
    assert (value.indicator.name, value.actual_value) == ("Nöjda hyresgäster", Decimal("61.5"))
    assert value.history.get().history_user == admin
    paused = Activity.objects.get(plan=follow_up.plan, reference_code="3.2.1")
    assert paused.status == ActivityStatus.PAUSED
    assert paused.history.first().history_user == admin
    assert not review.deviations


def test_a_changed_report_is_previewed_cell_by_cell_and_updated(follow_up, admin, editor):
    report(follow_up, "1.1.1", admin, done="Enkät planerad.")
    workbook = exported(follow_up)
    sheet = workbook.active
    fill(sheet, "1.1.1", done="Enkät genomförd.", indicator_values="Nöjda hyresgäster (%): 64")

    preview = run_import(follow_up, workbook, editor, dry_run=True)

    assert preview.counts["changed"] == 1
    (row,) = [row for row in preview.rows if row.kind == "changed"]
    assert [(change.column, change.before, change.after) for change in row.changes] == [
        (heading("done"), "Enkät planerad.", "Enkät genomförd."),
        (
            heading("indicator_values"),
            "Nöjda hyresgäster (%): 61,5",
            "Nöjda hyresgäster (%): 64",
        ),
    ]
    assert "”Enkät planerad.” → ”Enkät genomförd.”" in preview.changes[0]

    outcome = run_import(follow_up, workbook, editor)

    assert outcome.ok, outcome.problems
    review = ActivityReview.objects.get(activity__reference_code="1.1.1")
    assert (review.done, review.version, review.reviewed_by) == ("Enkät genomförd.", 2, editor)
    assert review.indicator_values.get().actual_value == Decimal("64")


@pytest.mark.parametrize("dry_run", [True, False], ids=["preview", "import"])
def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_written(
    follow_up, editor, dry_run
):
    workbook = exported(follow_up)
    sheet = workbook.active
    ongoing = str(ActivityStatus.ONGOING.label)
    fill(sheet, "2.1.1", assessment="enligt plan", done="Klart.", new_status=ongoing)
    unknown_assessment = fill(
        sheet, "1.1.1", assessment="halvbra", done="Något.", new_status=ongoing
    )
    no_explanation = fill(
        sheet,
        "1.2.1",
        assessment=str(Assessment.SERIOUS_DEVIATION.label),
        done="Lite.",
        new_status=ongoing,
    )
    unknown_indicator = fill(
        sheet,
        "3.1.1",
        assessment="enligt plan",
        done="Öppet varje vecka.",
        new_status=ongoing,
        indicator_values="Besök per månad: 250; Okänd mätning: 5",
    )
    not_theirs = fill(sheet, "1.3.1", assessment="enligt plan", done="Två vandringar.")
    unknown_code = sheet.max_row + 1
    for name, value in [
        ("reference_code", "9.9.9"),
        ("assessment", "enligt plan"),
        ("done", "Finns inte."),
        ("new_status", ongoing),
    ]:
        sheet.cell(unknown_code, ReviewResource().headers().index(heading(name)) + 1).value = value
    history = history_total()

    outcome = run_import(follow_up, workbook, editor, dry_run=dry_run)

    def problem(row, name):
        prefix = f"Rad {row}, kolumn ”{heading(name)}”: "
        found = [text for text in outcome.problems if text.startswith(prefix)]
        assert len(found) == 1, (prefix, outcome.problems)
        return found[0]

    assert not outcome.ok
    assert len(outcome.problems) == 5, outcome.problems
    assert "”halvbra”" in problem(unknown_assessment, "assessment")
    assert "Beskriv avvikelsen" in problem(no_explanation, "deviations")
    text = problem(unknown_indicator, "indicator_values")
    assert "Okänd mätning" in text
    assert "Besök per månad" in text
    assert "1.3.1" in problem(not_theirs, "reference_code")
    assert "9.9.9" in problem(unknown_code, "reference_code")
    assert outcome.counts["invalid"] == 5
    assert not ActivityReview.objects.exists()
    assert history_total() == history


def test_a_row_reported_again_since_the_export_is_refused_naming_who(follow_up, admin, colleague):
    report(follow_up, "1.1.1", colleague, done="Karins första text.")
    workbook = exported(follow_up)
    row = fill(workbook.active, "1.1.1", done="Från filen.")
    report(follow_up, "1.1.1", colleague, done="Karins rättelse.")
    # Saved a little later than the export, as a colleague would.
    ActivityReview.objects.filter(activity__reference_code="1.1.1").update(
        reviewed_at=timezone.now() + datetime.timedelta(minutes=5)
    )

    outcome = run_import(follow_up, workbook, admin)

    assert not outcome.ok
    (problem,) = outcome.problems
    assert problem.startswith(f"Rad {row}, kolumn ”{heading('last_changed')}”: ")
    assert "1.1.1" in problem
    assert "Karin K" in problem
    assert ActivityReview.objects.get(activity__reference_code="1.1.1").done == "Karins rättelse."


def test_a_row_reported_by_someone_else_after_the_export_is_refused(follow_up, admin, colleague):
    workbook = exported(follow_up)
    fill(
        workbook.active,
        "1.2.1",
        assessment="enligt plan",
        done="Från filen.",
        new_status=str(ActivityStatus.DONE.label),
    )
    report(follow_up, "1.2.1", colleague, done="Karins rapport.")

    outcome = run_import(follow_up, workbook, admin)

    assert not outcome.ok
    assert "Karin K" in outcome.problems[0]
    assert ActivityReview.objects.get().done == "Karins rapport."


def test_emptying_a_reported_row_is_refused(follow_up, admin):
    report(follow_up, "1.1.1", admin)
    workbook = exported(follow_up)
    row = fill(
        workbook.active,
        "1.1.1",
        **dict.fromkeys(["assessment", "done", "deviations", "next_step", "new_status"]),
        indicator_values="",
    )

    outcome = run_import(follow_up, workbook, admin)

    assert [problem.split(":")[0] for problem in outcome.problems] == [
        f"Rad {row}, kolumn ”{heading('assessment')}”"
    ]
    assert ActivityReview.objects.get().done == "Genomfört enligt plan."


def test_an_activity_reported_on_two_rows_is_refused_on_the_second(follow_up, admin):
    workbook = exported(follow_up)
    sheet = workbook.active
    first = fill(sheet, "1.1.1", assessment="enligt plan", done="Ett.", new_status="pågående")
    second = sheet.max_row + 1
    for index, value in enumerate(["1.1.1", "", "", "", "enligt plan", "Två.", "", "", "pågående"]):
        sheet.cell(second, index + 1).value = value

    outcome = run_import(follow_up, workbook, admin)

    (problem,) = outcome.problems
    assert problem.startswith(f"Rad {second}, kolumn ”{heading('reference_code')}”: ")
    assert "1.1.1" in problem
    assert re.search(rf"\b{first}\b", problem.split(":", 1)[1])
    assert not ActivityReview.objects.exists()


def test_a_closed_round_refuses_the_whole_file(follow_up, admin):
    workbook = exported(follow_up)
    fill(
        workbook.active,
        "1.1.1",
        assessment="enligt plan",
        done="Sent inkommet.",
        new_status=str(ActivityStatus.DONE.label),
    )
    close_round(follow_up, user=admin, reason="Årsmötet hölls utan alla rapporter.")

    outcome = run_import(follow_up, workbook, admin)

    assert outcome.problems == [
        "Filen: Uppföljningen är stängd; dess rapporter kan inte längre ändras."
    ]
    assert not ActivityReview.objects.exists()


def test_the_export_per_organisation_holds_its_and_its_units_activities(follow_up):
    hbn = Organisation.objects.get(name="Hyresbostäder i Norrköping")
    kommun = Organisation.objects.get(name="Norrköpings kommun")

    name, content = export_round_workbook(follow_up, hbn)
    everything, _content = export_round_workbook(follow_up)

    assert name == "uppfoljning-2025-klockaretorpet-hyresbostader.xlsx"
    assert everything == "uppfoljning-2025-klockaretorpet-alla.xlsx"
    assert codes(openpyxl.load_workbook(io.BytesIO(content))) == [
        "1.1.1",
        "1.2.1",
        "2.1.1",
        "3.1.1",
    ]
    assert codes(exported(follow_up, kommun)) == ["1.3.1", "3.2.1"]
    assert codes(exported(follow_up)) == ["1.1.1", "1.2.1", "1.3.1", "2.1.1", "3.1.1", "3.2.1"]


def test_the_export_shows_the_report_and_formula_looking_text_stays_text(follow_up, admin):
    formula = '=HYPERLINK("http://example.com/","Klicka här")'
    review = report(
        follow_up,
        "1.1.1",
        admin,
        assessment=Assessment.DEVIATION,
        deviations="+cmd|' /C calc'!A0",
        done=formula,
        next_step="@SUMMA(A1)",
    )
    workbook = exported(follow_up)
    sheet = workbook.active

    for name, text in [("done", formula), ("deviations", "+cmd|' /C calc'!A0")]:
        assert cell(sheet, "1.1.1", name).value == text
        assert cell(sheet, "1.1.1", name).data_type == "s"
    assert cell(sheet, "1.1.1", "assessment").value == str(Assessment.DEVIATION.label)
    assert cell(sheet, "1.1.1", "indicator_values").value == "Nöjda hyresgäster (%): 61,5"
    last_changed = cell(sheet, "1.1.1", "last_changed").value
    expected = timezone.localtime(review.reviewed_at).replace(tzinfo=None)
    assert abs(last_changed - expected) < datetime.timedelta(seconds=1)
    outcome = run_import(follow_up, workbook, admin)
    assert outcome.ok, outcome.problems
    assert outcome.counts["unchanged"] == 1
    assert ActivityReview.objects.get().done == formula


def test_a_control_character_before_a_formula_cannot_smuggle_it_into_the_round_sheet(
    follow_up, admin
):
    smuggled = '\x01=HYPERLINK("http://example.com/","Klicka här")'
    review = report(follow_up, "1.1.1", admin)
    # Such text can no longer be saved; a report stored before may hold it.
    ActivityReview.objects.filter(pk=review.pk).update(done=smuggled, next_step=smuggled)
    sheet = exported(follow_up).active

    for name in ("done", "next_step"):
        assert cell(sheet, "1.1.1", name).value == smuggled[1:]
        assert cell(sheet, "1.1.1", name).data_type == "s"
        assert cell(sheet, "1.1.1", name).quotePrefix


def test_a_report_cell_with_control_characters_is_refused_naming_row_and_column(follow_up, admin):
    workbook = exported(follow_up)
    row = fill(
        workbook.active,
        "1.1.1",
        assessment=str(Assessment.ON_TRACK.label),
        done="Gjort_x0007_ enligt plan",
        new_status=str(ActivityStatus.ONGOING.label),
    )

    outcome = run_import(follow_up, workbook, admin)

    assert not outcome.ok
    assert [problem for problem in outcome.problems if "U+0007" in problem] == [
        problem for problem in outcome.problems if problem.startswith(f"Rad {row}, kolumn ")
    ]
    assert len(outcome.problems) == 1
    assert not ActivityReview.objects.exists()


def test_a_report_cell_over_its_length_limit_is_refused_naming_row_column_and_limit(
    follow_up, admin
):
    workbook = exported(follow_up)
    row = fill(
        workbook.active,
        "1.1.1",
        assessment=str(Assessment.ON_TRACK.label),
        done="d" * 1501,
        new_status=str(ActivityStatus.ONGOING.label),
    )

    outcome = run_import(follow_up, workbook, admin)

    assert outcome.problems == [
        f"Rad {row}, kolumn ”{heading('done')}”: ”Vad som har gjorts” får vara högst 1\xa0500 "
        "tecken lång; texten har 1\xa0501 tecken."
    ]
    assert not ActivityReview.objects.exists()


def test_a_semicolon_csv_saved_by_excel_imports(follow_up, admin):
    # Excel saves the “last changed” cell as displayed, to the minute.
    report(follow_up, "1.1.1", admin)
    lines = []
    for values in exported(follow_up).active.iter_rows(values_only=True):
        cells = [
            value.strftime("%Y-%m-%d %H:%M")
            if isinstance(value, datetime.datetime)
            else ("" if value is None else str(value))
            for value in values
        ]
        if cells[0] == "1.2.1":
            cells[4:9] = ["enligt plan", "Ny rapport", "", "", "genomförd"]
        lines.append(";".join(cells))
    upload = SimpleUploadedFile("uppfoljning.csv", "\r\n".join(lines).encode("utf-8-sig"))

    outcome = import_round(
        follow_up=follow_up, dataset=read_round_sheet(upload), user=admin, dry_run=False
    )

    assert outcome.ok, outcome.problems
    assert (outcome.counts["new"], outcome.counts["unchanged"]) == (1, 1)
    assert ActivityReview.objects.get(activity__reference_code="1.2.1").done == "Ny rapport"


def test_commands_export_then_preview_then_import_with_the_user(follow_up, admin, tmp_path, capsys):
    path = tmp_path / "uppfoljning.xlsx"
    call_command(
        "export_followup",
        "--declaration",
        "klockaretorpet",
        "--year",
        "2025",
        "--organisation",
        "hyresbostäder",
        "-o",
        str(path),
    )
    workbook = openpyxl.load_workbook(path)
    assert codes(workbook) == ["1.1.1", "1.2.1", "2.1.1", "3.1.1"]
    fill(
        workbook.active,
        "2.1.1",
        assessment="enligt plan",
        done="Via kommandot.",
        new_status=str(ActivityStatus.DONE.label),
    )
    workbook.save(path)
    arguments = [str(path), "--declaration", "klockaretorpet", "--year", "2025"]

    call_command("import_followup", *arguments, "--dry-run")
    assert not ActivityReview.objects.exists()
    with pytest.raises(CommandError, match="--user"):
        call_command("import_followup", *arguments)
    call_command("import_followup", *arguments, "--user", "planadmin")

    review = ActivityReview.objects.get()
    assert (review.activity.reference_code, review.done) == ("2.1.1", "Via kommandot.")
    assert review.history.get().history_user == admin
    printed = capsys.readouterr().out
    assert "4 aktiviteter skrivna till" in printed
    assert "Skulle importeras: 1 nya, 0 ändrade, 0 oförändrade, 3 ej rapporterade" in printed
    assert "Importerat: 1 nya" in printed


def test_command_names_the_years_a_plan_has_rounds_for(follow_up):
    with pytest.raises(CommandError, match="2025"):
        call_command("export_followup", "--declaration", "klockaretorpet", "--year", "2031")


# --- the engine's rules, through the round import -------------------------------------------


def import_bytes(follow_up, content, user, name="uppfoljning.xlsx"):
    dataset = read_round_sheet(upload(content, name))
    return import_round(follow_up=follow_up, dataset=dataset, user=user, dry_run=False)


def reported_an_hour_ago(follow_up, code, user, **fields):
    review = report(follow_up, code, user, **fields)
    ActivityReview.objects.filter(pk=review.pk).update(
        reviewed_at=timezone.now() - datetime.timedelta(hours=1)
    )


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_an_old_round_sheet_saved_as_excel_csv_cannot_undo_a_colleagues_report(
    follow_up, admin, colleague, encoding
):
    reported_an_hour_ago(follow_up, "1.1.1", admin, done="Pias text.")
    workbook = exported(follow_up)
    row = fill(workbook.active, "1.1.1", done="Från filen.")
    report(follow_up, "1.1.1", colleague, done="Karins rättelse.")

    outcome = import_bytes(
        follow_up, as_excel_csv(workbook, encoding=encoding), admin, "uppfoljning.csv"
    )

    (problem,) = outcome.problems
    assert problem.startswith(f"Rad {row}, kolumn ”{heading('last_changed')}”: ")
    assert "Karin K" in problem
    assert ActivityReview.objects.get(activity__reference_code="1.1.1").done == "Karins rättelse."


def test_a_round_workbook_without_the_column_changes_only_reports_older_than_the_file(
    follow_up, admin, colleague
):
    reported_an_hour_ago(follow_up, "1.1.1", admin, done="Pias text.")
    reported_an_hour_ago(follow_up, "3.1.1", admin, done="Pias andra text.")
    workbook = exported(follow_up)
    stale = fill(workbook.active, "1.1.1", done="Från filen.")
    fill(workbook.active, "3.1.1", done="Rättat i filen.")
    report(follow_up, "1.1.1", colleague, done="Karins rättelse.")
    without_column(workbook, heading("last_changed"))

    refused = import_bytes(follow_up, workbook_bytes(workbook), admin)

    (problem,) = refused.problems
    assert problem.startswith(f"Rad {stale}, kolumn ”{heading('last_changed')}”: Rapporten ")
    assert "efter att filen exporterades" in problem

    workbook.active.delete_rows(stale)
    outcome = import_bytes(follow_up, workbook_bytes(workbook), admin)

    assert outcome.ok, outcome.problems
    assert ActivityReview.objects.get(activity__reference_code="3.1.1").done == "Rättat i filen."


def test_a_round_csv_without_the_column_adds_reports_but_changes_none(follow_up, admin):
    reported_an_hour_ago(follow_up, "1.1.1", admin, done="Pias text.")
    workbook = exported(follow_up)
    changed = fill(workbook.active, "1.1.1", done="Från filen.")
    fill(
        workbook.active,
        "1.2.1",
        assessment="enligt plan",
        done="Ny rapport.",
        new_status=str(ActivityStatus.ONGOING.label),
    )
    without_column(workbook, heading("last_changed"))

    refused = import_bytes(follow_up, as_excel_csv(workbook), admin, "uppfoljning.csv")

    (problem,) = refused.problems
    assert problem.startswith(f"Rad {changed}, kolumn ”{heading('last_changed')}”: ")
    assert "filen visar inte när den exporterades" in problem

    workbook.active.delete_rows(changed)
    outcome = import_bytes(follow_up, as_excel_csv(workbook), admin, "uppfoljning.csv")

    assert outcome.ok, outcome.problems
    assert outcome.counts["new"] == 1
    assert ActivityReview.objects.get(activity__reference_code="1.2.1").done == "Ny rapport."


def test_a_refused_round_file_counts_no_rows_and_the_command_says_it_was_refused(
    follow_up, admin, tmp_path, capsys
):
    workbook = exported(follow_up)
    fill(workbook.active, "1.1.1", assessment="enligt plan", done="Sent.", new_status="Pågående")
    path = tmp_path / "uppfoljning.xlsx"
    workbook.save(path)
    close_round(follow_up, user=admin, reason="Årsmötet hölls utan alla rapporter.")

    outcome = run_import(follow_up, workbook, admin)
    with pytest.raises(CommandError) as refused:
        import_round_file(path, user="planadmin")

    assert outcome.refused
    assert not any(outcome.counts.values())
    assert str(refused.value) == "Inget importerades: filen avvisades."
    assert "oförändrade" not in capsys.readouterr().out


def test_the_preview_names_the_editors_activities_the_file_leaves_out(follow_up, editor):
    hbn = Organisation.objects.get(name="Hyresbostäder i Norrköping")
    _name, content = export_round_workbook(follow_up, hbn)
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    workbook.active.delete_rows(2)  # 1.1.1, the first of the file

    dataset = read_round_sheet(upload(workbook_bytes(workbook)))
    outcome = import_round(follow_up=follow_up, dataset=dataset, user=editor, dry_run=True)

    title = Activity.objects.get(reference_code="1.1.1").title
    # Only what the editor may report: the kommun's activities are no concern of this file.
    assert outcome.absent == [f"1.1.1 {title}"]


@pytest.mark.parametrize("role", ["Läsare", None])
def test_import_command_refuses_a_user_who_may_not_report_before_reading_the_file(
    follow_up, django_user_model, tmp_path, role
):
    user = django_user_model.objects.create_user("lasare")
    if role:
        user.groups.add(Group.objects.get(name=role))
    path = tmp_path / "uppfoljning.xlsx"
    path.write_bytes(b"%PDF-1.7\n")

    with pytest.raises(CommandError) as refused:
        import_round_file(path, user="lasare")

    assert str(refused.value) == (
        "Användaren ”lasare” får inte importera rapporter: bara planadministratörer och "
        "redaktörer får det."
    )


def test_import_command_as_an_editor_imports_only_the_editors_reports(follow_up, editor, tmp_path):
    workbook = exported(follow_up)
    fill(workbook.active, "1.1.1", assessment="enligt plan", done="HBN:s.", new_status="Pågående")
    fill(workbook.active, "3.2.1", assessment="enligt plan", done="Kulturs.", new_status="Pågående")
    path = tmp_path / "uppfoljning.xlsx"
    workbook.save(path)
    arguments = [str(path), "--declaration", "klockaretorpet", "--year", "2025"]

    with pytest.raises(CommandError, match="Inget importerades"):
        call_command("import_followup", *arguments, "--user", "redaktor.hbn")

    assert not ActivityReview.objects.exists()
