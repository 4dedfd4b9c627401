"""The three journeys the portal is built around, from the start page, counting clicks:
see how the plan is going, report my activities, prepare the meeting."""

import re

import pytest

from followup.models import FollowUp
from plans.models import Activity, ActivityPlan

from .conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

MOST_CLICKS = 2


class Clicks:
    """Clicks a user makes, counted where they are made; typing and waiting are not clicks."""

    def __init__(self):
        self.count = 0

    def click(self, locator) -> None:
        self.count += 1
        locator.click()


def shown_activity_codes(page) -> set[str]:
    return set(page.locator("table.activities td.code").all_text_contents())


def test_hyresbostaders_late_activities_are_two_clicks_from_the_start_page(page, demo):
    plan = ActivityPlan.objects.current()
    late_of_hyresbostader = {
        activity.reference_code
        for activity in Activity.objects.filter(
            plan=plan, lead_organisation__name="Hyresbostäder i Norrköping"
        ).late()
    }
    assert late_of_hyresbostader, "the demo plan has late activities of Hyresbostäder"
    log_in(page, "lasare")
    clicks = Clicks()

    page.goto(page.base + "/")
    clicks.click(page.get_by_role("link", name=re.compile(r"^Hyresbostäder \(ansvarig\)")))

    page.wait_for_load_state()
    assert shown_activity_codes(page) == late_of_hyresbostader
    assert (
        "Försenad" in page.locator(".plan-bar__summary").inner_text()
        or page.get_by_label("Försenad").is_checked()
    )
    assert clicks.count <= MOST_CLICKS


def test_an_editor_reaches_the_report_form_of_an_unreported_activity_in_two_clicks(page, demo):
    open_round = FollowUp.objects.get(state="open")
    log_in(page, "redaktor.hyresbostader")
    clicks = Clicks()

    page.goto(page.base + "/")
    clicks.click(page.locator("#mina-uppgifter ~ ul a").first)

    page.wait_for_url(re.compile(rf"/uppfoljningar/{open_round.pk}/aktiviteter/\d+/$"))
    activity = Activity.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    assert activity.lead_organisation.name == "Hyresbostäder i Norrköping" or (
        activity.co_organisations.filter(name="Hyresbostäder i Norrköping").exists()
    )
    assert not open_round.reviews.filter(activity=activity).exists()
    assert page.get_by_role("button", name="Spara rapporten").is_visible()
    assert clicks.count <= MOST_CLICKS


def test_the_meeting_pdf_is_two_clicks_from_the_start_page(page, demo):
    log_in(page, "lasare")
    clicks = Clicks()

    page.goto(page.base + "/")
    # Chromium shows the PDF in its own viewer: what arrives is the report itself.
    with page.expect_response(re.compile(r"/rapport\.pdf$")) as arrived:
        clicks.click(page.get_by_role("link", name=re.compile(r"^Rapport för uppföljning \d+")))

    response = arrived.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    # The viewer keeps the bytes it streamed to itself; the same address, fetched again.
    assert page.request.get(response.url).body().startswith(b"%PDF-")
    assert clicks.count <= MOST_CLICKS
