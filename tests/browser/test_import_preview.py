"""Both import previews on a 1366 × 768 laptop screen: a summary that fits the width (the old
preview was a 2,500 px table), with nothing serious for axe."""

import io

import openpyxl
import pytest

from followup.models import FollowUp
from followup.resources import export_round_workbook
from plans.models import ActivityPlan
from plans.resources import export_activities_workbook

from .conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

LAPTOP = {"width": 1366, "height": 768}


def edited(content: bytes, edits) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.active
    headings = {cell.value: cell.column for cell in sheet[1]}
    edits(sheet, headings)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_activity_import_preview_fits_the_screen(page, demo, tmp_path):
    plan = ActivityPlan.objects.get()
    _name, content = export_activities_workbook(
        plan.activities.all(), declaration_slug=plan.declaration.slug
    )

    def edits(sheet, headings):
        sheet.cell(2, headings["Aktivitet"]).value = "En omformulerad rubrik " * 6
        sheet.cell(3, headings["Beskrivning"]).value = "Ny beskrivning utan mellanslag" * 20
        new_row = sheet.max_row + 1
        for column in range(1, sheet.max_column + 1):
            sheet.cell(new_row, column).value = sheet.cell(4, column).value
        sheet.cell(new_row, headings["Referenskod"]).value = None
        sheet.cell(new_row, headings["Aktivitet"]).value = "Läxhjälp i biblioteket"

    path = tmp_path / "aktiviteter.xlsx"
    path.write_bytes(edited(content, edits))
    page.set_viewport_size(LAPTOP)
    log_in(page, "planadmin")

    page.goto(f"{page.base}/admin/plans/activity/import/")
    page.set_input_files("#id_import_file", str(path))
    page.get_by_role("button", name="Skicka").click()
    page.locator(".import-summary__counts").wait_for()

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert "1 ny, 2 ändrade" in page.locator(".import-summary__counts").inner_text()
    assert page.get_by_role("button", name="Bekräfta import").is_visible()
    assert run_axe(page) == []


@pytest.mark.parametrize("width", [1366, 320], ids=["laptop", "phone"])
def test_the_round_import_preview_fits_the_screen(page, demo, tmp_path, width):
    """Editors report from wherever they are: the round's preview (a portal page) reads on a
    laptop and on a phone alike."""
    follow_up = FollowUp.objects.get(state="open")
    _name, content = export_round_workbook(follow_up)

    def edits(sheet, headings):
        for row in range(2, sheet.max_row + 1):
            if not sheet.cell(row, headings["Bedömning"]).value:
                sheet.cell(row, headings["Bedömning"]).value = "enligt plan"
                sheet.cell(row, headings["Vad som har gjorts"]).value = "Förstudieklar" * 20
                sheet.cell(row, headings["Ny status"]).value = "pågående"
                break

    path = tmp_path / "uppfoljning.xlsx"
    path.write_bytes(edited(content, edits))
    page.set_viewport_size({**LAPTOP, "width": width})
    log_in(page, "planadmin")

    page.goto(f"{page.base}/uppfoljningar/{follow_up.pk}/importera/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="Förhandsvisa").click()
    page.locator(".import-summary__counts").wait_for()

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert "1 ny" in page.locator(".import-summary__counts").inner_text()
    assert page.get_by_role("button", name="Importera rapporterna").is_visible()
    assert run_axe(page) == []


def run_axe(page) -> list[dict]:
    """axe on the page as it stands (a preview is the answer to a POST, not an address)."""
    from axe_playwright_python.sync_playwright import Axe

    from .test_accessibility import BLOCKING, RULES

    results = Axe().run(page, options=RULES)
    found = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    for violation in found:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
        print(
            f"{page.url}: {violation['impact']} {violation['id']}: {violation['help']} → {targets}"
        )
    return found
