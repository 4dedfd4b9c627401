import io
import re

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from klockaretorpet import pending_uploads
from plans.models import Activity
from tests.plans.test_import import columns, exported_sheet, row_of
from tests.sheet_files import as_excel_csv, encrypted, workbook_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:plans_activity_import"


def upload(workbook, name="aktiviteter.xlsx"):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def preview(client, declaration, workbook, name="aktiviteter.xlsx"):
    return client.post(
        reverse(IMPORT_URL),
        {"declaration": declaration.pk, "format": "0", "import_file": upload(workbook, name)},
    )


def confirm_data(response) -> dict:
    form = response.context["confirm_form"]
    return {name: form[name].value() for name in form.fields}


def test_preview_then_confirm_imports_with_the_admins_name(admin_client, admin_user, declaration):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    sheet.cell(row_of(sheet, "1.1.1"), columns(sheet)["Aktivitet"]).value = "Ändrad via admin"

    shown = preview(admin_client, declaration, workbook)
    assert shown.status_code == 200
    assert Activity.objects.get(reference_code="1.1.1").title != "Ändrad via admin"
    # The preview shows the change (as a character diff) before anything is written.
    assert "Ändrad via admi" in shown.content.decode()
    assert shown.context["result"].totals["update"] == 1
    done = admin_client.post(reverse("admin:plans_activity_process_import"), confirm_data(shown))

    assert done.status_code == 302
    activity = Activity.objects.get(reference_code="1.1.1")
    assert activity.title == "Ändrad via admin"
    assert activity.history.first().history_user == admin_user


def test_preview_lists_every_bad_row_and_offers_no_confirmation(admin_client, declaration):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    sheet.cell(row_of(sheet, "1.2.1"), columns(sheet)["Strategi"]).value = "Finns inte"
    sheet.cell(row_of(sheet, "3.1.1"), columns(sheet)["Status"]).value = "klar typ"

    shown = preview(admin_client, declaration, workbook)
    page = shown.content.decode()

    assert shown.status_code == 200
    assert "confirm_form" not in shown.context or shown.context["confirm_form"] is None
    assert "Okänd strategi ”Finns inte”" in page
    assert "Okänt värde ”klar typ”" in page


def test_a_renamed_pdf_gets_a_clear_message(admin_client, declaration):
    response = admin_client.post(
        reverse(IMPORT_URL),
        {
            "declaration": declaration.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("plan.xlsx", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"),
        },
    )
    page = response.content.decode()
    assert "Filen ”plan.xlsx” är ett PDF-dokument" in page


def test_rows_gone_bad_between_preview_and_confirm_stop_everything(admin_client, declaration):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    sheet.cell(row_of(sheet, "1.1.1"), columns(sheet)["Aktivitet"]).value = "Ändrad via admin"
    shown = preview(admin_client, declaration, workbook)
    # Someone edits 1.1.1 after the preview: the confirmed import must refuse it.
    activity = Activity.objects.get(reference_code="1.1.1")
    activity.title = "Ändrad under tiden"
    activity.save()
    Activity.objects.filter(pk=activity.pk).update(
        updated_at=activity.updated_at.replace(year=activity.updated_at.year + 1)
    )

    done = admin_client.post(reverse("admin:plans_activity_process_import"), confirm_data(shown))

    assert done.status_code == 302
    notes = [str(message) for message in get_messages(done.wsgi_request)]
    assert any(
        re.search(r"Rad \d+, kolumn ”Senast ändrad”: Aktivitet 1\.1\.1 har ändrats av", note)
        for note in notes
    )
    assert "Ingenting importerades." in notes
    assert Activity.objects.get(pk=activity.pk).title == "Ändrad under tiden"


def test_only_plan_admins_see_the_import_button_or_page(client, declaration, django_user_model):
    from django.contrib.auth.models import Group

    editor = django_user_model.objects.create_user("red", password="x" * 12, is_staff=True)
    editor.groups.add(Group.objects.get(name="Redaktör"))
    admin = django_user_model.objects.create_user("pia", password="x" * 12, is_staff=True)
    admin.groups.add(Group.objects.get(name="Planadministratör"))
    changelist = reverse("admin:plans_activity_changelist")
    import_url = reverse(IMPORT_URL)

    client.force_login(editor)
    editor_list = client.get(changelist).content.decode()
    editor_import = client.get(import_url)
    client.force_login(admin)
    admin_list = client.get(changelist).content.decode()

    assert import_url not in editor_list
    assert editor_import.status_code == 403
    assert import_url in admin_list
    assert reverse("admin:plans_activity_export") in editor_list


def test_unreadable_workbook_message_names_the_uploaded_file(admin_client, declaration):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Referenskod", "Strategi", "Aktivitet"])
    workbook.active["A2"] = "=1+1"  # a formula never calculated
    response = preview(admin_client, declaration, workbook, name="min-plan.xlsx")
    page = response.content.decode()
    assert "Filen ”min-plan.xlsx” har formler som aldrig har räknats ut" in page
    assert "A2" in page


# --- pending uploads (issue 12, case 14) -------------------------------------------------------


def test_a_password_protected_workbook_gets_its_message_in_the_admin(admin_client, declaration):
    content = encrypted(workbook_bytes(exported_sheet(declaration)))
    response = admin_client.post(
        reverse(IMPORT_URL),
        {
            "declaration": declaration.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("skyddad.xlsx", content),
        },
    )
    page = response.content.decode()
    assert "Filen ”skyddad.xlsx” är en lösenordsskyddad Excelarbetsbok" in page
    assert "Arkiv → Info → Skydda arbetsbok" in page


def test_a_refused_preview_leaves_nothing_pending(admin_client, admin_user, declaration):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    sheet.cell(row_of(sheet, "1.1.1"), columns(sheet)["Strategi"]).value = "Finns inte"

    shown = preview(admin_client, declaration, workbook)

    assert shown.context.get("confirm_form") is None
    assert pending_uploads.pending_tokens(admin_user) == []


def test_an_unreadable_file_leaves_nothing_pending(admin_client, admin_user, declaration):
    shown = preview(admin_client, declaration, openpyxl.Workbook())
    assert "Den första raden" in shown.content.decode() or shown.context["form"].errors
    assert pending_uploads.pending_tokens(admin_user) == []


def test_a_confirmed_import_leaves_nothing_pending(admin_client, admin_user, declaration):
    shown = preview(admin_client, declaration, exported_sheet(declaration))
    assert len(pending_uploads.pending_tokens(admin_user)) == 1

    admin_client.post(reverse("admin:plans_activity_process_import"), confirm_data(shown))

    assert pending_uploads.pending_tokens(admin_user) == []


def test_a_user_with_three_previews_holds_two(admin_client, admin_user, declaration):
    shown = [preview(admin_client, declaration, exported_sheet(declaration)) for _ in range(3)]
    tokens = [confirm_data(response)["import_file_name"] for response in shown]
    assert pending_uploads.pending_tokens(admin_user) == tokens[1:]

    expired = admin_client.post(
        reverse("admin:plans_activity_process_import"), confirm_data(shown[0])
    )

    assert expired.status_code == 302
    messages = [str(m) for m in get_messages(expired.wsgi_request)]
    assert "Förhandsvisningen har gått ut. Ladda upp filen igen." in messages


def summary_section(page: str) -> str:
    return page[page.index('<section class="import-summary"') : page.index("</section>")]


def test_the_preview_of_a_swedish_excel_csv_reads_as_a_summary(admin_client, declaration):
    """A sheet saved by Swedish Excel as CSV (`;`, Windows-1252), not by the portal: the counts
    first, only the changed cells of a changed row, the new row, the unchanged rows collapsed."""
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    heading = columns(sheet)
    sheet.cell(row_of(sheet, "1.1.1"), heading["Aktivitet"]).value = "Ny rubrik för 1.1.1"
    # The complete activity (Trygghetsvandringar): a new status, its planned end emptied.
    sheet.cell(row_of(sheet, "1.3.1"), heading["Status"]).value = "pågående"
    sheet.cell(row_of(sheet, "1.3.1"), heading["Planerat slut"]).value = None
    new_row = sheet.max_row + 1
    for name, value in {
        "Strategi": "1.2",
        "Aktivitet": "Läxhjälp i biblioteket",
        "Status": "planerad",
    }.items():
        sheet.cell(new_row, heading[name]).value = value
    rows = sheet.max_row - 1
    unchanged = Activity.objects.exclude(reference_code__in=["1.1.1", "1.3.1"])
    content = as_excel_csv(workbook, encoding="cp1252")

    shown = admin_client.post(
        reverse(IMPORT_URL),
        {
            "declaration": declaration.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("aktiviteter.csv", content),
        },
    )
    page = shown.content.decode()
    summary = summary_section(page)

    assert shown.context["confirm_form"] is not None
    assert f"{rows} rader: 1 ny, 2 ändrade, {unchanged.count()} oförändrade." in summary, summary[
        :400
    ]
    # The counts come before the details and before the button that confirms.
    assert summary.index("oförändrade.") < summary.index("2 ändrade rader")
    assert page.index("2 ändrade rader") < page.index("Bekräfta import")
    # The sheet's own headings, never the resource's keys or Python's None.
    assert "<strong>Aktivitet:</strong>" in summary
    for key in ["PLANNED_END", "planned_end", "STRATEGY", "None"]:
        assert key not in summary, key
    # A changed row lists what changed, nothing else.
    changed_row = summary[summary.index("1.3.1 Trygghetsvandringar") :]
    changed_row = changed_row[: changed_row.index("</tr>")]
    assert "<strong>Status:</strong> <del>planerad</del>" in changed_row
    assert "<strong>Planerat slut:</strong>" in changed_row
    assert "(tom)" in changed_row
    assert "Aktivitet:" not in changed_row
    assert "Beskrivning:" not in changed_row
    assert "1 ny rad" in summary
    assert "Läxhjälp i biblioteket" in summary
    # The unchanged rows are counted and named by code, not shown in full.
    assert f"{unchanged.count()} oförändrade rader" in summary
    for activity in unchanged:
        assert activity.reference_code in summary
        assert activity.title not in summary, activity.title
    assert "1 nya" not in summary


def test_the_preview_of_a_file_with_errors_names_row_column_and_problem(admin_client, declaration):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    heading = columns(sheet)
    sheet.cell(row_of(sheet, "1.2.1"), heading["Strategi"]).value = "Finns inte"
    sheet.cell(row_of(sheet, "3.1.1"), heading["Planerad start"]).value = "våren 2025"

    shown = admin_client.post(
        reverse(IMPORT_URL),
        {
            "declaration": declaration.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("fel.xlsx", workbook_bytes(workbook)),
        },
    )
    summary = summary_section(shown.content.decode())

    assert shown.context.get("confirm_form") is None
    assert "2 med fel." in summary
    assert "2 fel att rätta" in summary
    for code, column, message in [
        ("1.2.1", "Strategi", "Okänd strategi ”Finns inte”"),
        ("3.1.1", "Planerad start", "”våren 2025” är inte en månad"),
    ]:
        row = row_of(sheet, code)
        assert re.search(rf"<tr><td>{row}</td><td>{column}</td><td>{message}", summary), code
    assert "None" not in summary
