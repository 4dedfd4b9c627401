"""The editing desk on an ordinary 1366 × 768 laptop screen: the activity list shows its
status and completeness columns, the change form reads top to bottom, nothing scrolls sideways
and axe finds nothing serious, for an editor and a plan administrator alike."""

import pytest

from plans.models import Activity

from .conftest import log_in
from .test_accessibility import violations_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

LAPTOP = {"width": 1366, "height": 768}
USERS = ["redaktor.hyresbostader", "planadmin"]


def fits_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("username", USERS)
def test_the_activity_list_shows_every_column_within_the_screen(page, demo, username):
    page.set_viewport_size(LAPTOP)
    log_in(page, username)

    assert violations_of(page, f"{page.base}/admin/plans/activity/?mine=all") == []
    assert fits_sideways(page)
    for column in ["status", "complete_display"]:
        header = page.locator(f"#result_list th.column-{column}").bounding_box()
        first_cell = page.locator(f"#result_list tbody tr:first-child td.field-{column}")
        assert header["x"] + header["width"] <= LAPTOP["width"], column
        cell = first_cell.bounding_box()
        assert cell["x"] + cell["width"] <= LAPTOP["width"], column
    # The filters an editor uses first come first, in this order (Swedish already in locale/).
    titles = page.locator("#changelist-filter details summary").all_inner_texts()
    assert [title.strip().casefold() for title in titles[:6]] == [
        "på mina aktiviteter",
        "på status",
        "på målbild",
        "på strategi",
        "på fullständighet",
        "på tidplan",
    ]
    # Mina aktiviteter shows the editor's own activities.
    assert page.locator("#result_list tbody tr").count() >= 1


@pytest.mark.parametrize("username", USERS)
def test_the_change_form_reads_top_to_bottom_within_the_screen(page, demo, username):
    activity = Activity.objects.get(reference_code="1.3.1")  # Hyresbostäder leads it
    page.set_viewport_size(LAPTOP)
    log_in(page, username)

    assert violations_of(page, f"{page.base}/admin/plans/activity/{activity.pk}/change/") == []
    assert fits_sideways(page)
    headings = page.locator("#content-main h2").all_inner_texts()
    sections = [text.strip().casefold() for text in headings]
    assert sections[:5] == ["aktivitet", "tidplan", "ansvar", "mätbarhet", "indikatorer"]
    assert sections[5] == "koppling till framgångsfaktorer och målsättningar"
    # The tidplan keeps its month pickers.
    assert page.locator("input#id_planned_start").get_attribute("type") == "month"
