"""What staff and residents do, in a real browser."""

import re

import pytest

from followup.models import ActivityReview, FollowUp
from plans.models import Activity
from strategies.models import IntentDeclaration

from .conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

DECLARATION = "/avsiktsforklaringar/klockaretorpet/"


def test_log_in_and_browse_declaration_goal_activity(page, demo):
    log_in(page, "lasare")
    page.goto(page.base + DECLARATION)
    assert page.get_by_role("heading", level=1).inner_text() == "Avsiktsförklaring Klockaretorpet"

    page.get_by_role("link", name="Målbild 1 på en egen sida").click()
    assert "/malbilder/1/" in page.url
    activity = Activity.objects.filter(title__startswith="Exempel:").in_code_order().first()
    page.get_by_role("link", name=activity.title).click()

    assert page.url.endswith(f"/aktiviteter/{activity.pk}/")
    assert activity.title in page.get_by_role("heading", level=1).inner_text()


def test_a_filtered_view_survives_reloading_its_address(page, demo):
    log_in(page, "lasare")
    page.goto(page.base + DECLARATION)
    page.get_by_label("Status").select_option("ongoing")
    page.get_by_role("button", name="Filtrera").click()
    page.wait_for_url(re.compile(r"status=ongoing"))
    bookmarked = page.url

    page.goto(page.base + "/")
    page.goto(bookmarked)

    assert page.get_by_label("Status").input_value() == "ongoing"
    shown = page.locator("table.activities tbody tr").count()
    ongoing = Activity.objects.filter(status="ongoing").count()
    assert shown == ongoing > 0


def test_an_admin_edit_shows_in_the_activity_history_on_the_portal(page, demo):
    activity = Activity.objects.filter(title__startswith="Exempel:").in_code_order().first()
    log_in(page, "planadmin")
    page.goto(page.base + f"/admin/plans/activity/{activity.pk}/change/")
    page.locator("#id_title").fill("Exempel: ändrad i admin")
    page.locator("input[name=_save]").click()
    page.wait_for_url(re.compile(r"/admin/plans/activity/$"))

    page.goto(page.base + f"/aktiviteter/{activity.pk}/")

    history = page.locator("ol.history").inner_text()
    assert "Exempel: ändrad i admin" in history
    assert "Pia" in history


def test_an_editor_fills_in_a_follow_up_report(page, demo):
    open_round = FollowUp.objects.get(state="open")
    activity = (
        Activity.objects.filter(lead_organisation__name="Norrköpings kommun")
        .exclude(reviews__follow_up=open_round)
        .in_code_order()
        .first()
    )
    log_in(page, "redaktor.kommun")
    page.goto(page.base + f"/uppfoljningar/{open_round.pk}/")
    page.get_by_role(
        "link", name=re.compile(f"Fyll i rapporten {re.escape(activity.reference_code)}$")
    ).click()

    page.get_by_label("Avvikelse", exact=True).check()
    page.get_by_label("Vad som har gjorts").fill("Halva arbetet klart.")
    page.get_by_label("Avvikelser och orsaker").fill("Sjukskrivningar i projektgruppen.")
    page.get_by_label("Ny status").select_option(label="pågående")
    page.get_by_role("button", name="Spara rapporten").click()
    # Saving goes on to the editor's next unreported activity, or back to the round's list.
    page.wait_for_url(lambda url: f"/aktiviteter/{activity.pk}/" not in url)

    review = ActivityReview.objects.get(follow_up=open_round, activity=activity)
    assert review.done == "Halva arbetet klart."
    assert review.reviewed_by.username == "redaktor.kommun"
    assert "Rapporten för " + activity.reference_code + " sparades" in page.content()


def test_the_report_pdf_downloads_from_the_round_page(page, demo):
    closed = FollowUp.objects.get(state="closed")
    log_in(page, "lasare")
    page.goto(page.base + f"/uppfoljningar/{closed.pk}/")
    link = page.get_by_role("link", name="Rapporten till uppföljningsmötet (PDF)")

    response = page.request.get(page.base + link.get_attribute("href"))

    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_switching_to_english_and_back(page, demo):
    log_in(page, "lasare")
    page.goto(page.base + DECLARATION)
    page.get_by_role("button", name="In English").click()
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Districts").first.is_visible()
    page.get_by_role("button", name="På svenska").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.url.endswith(DECLARATION)


def test_residents_read_the_published_plan_without_logging_in(page, demo):
    IntentDeclaration.objects.filter(slug="klockaretorpet").update(is_published=True)
    reviewer = ActivityReview.objects.filter(follow_up__state="closed").first().reviewed_by

    page.goto(page.base + "/offentlig/klockaretorpet/")

    assert page.get_by_role("heading", level=1).inner_text().startswith("Avsiktsförklaring")
    assert "Logga ut" not in page.content()
    assert reviewer.get_full_name() not in page.content()
    data = page.request.get(page.base + "/offentlig/klockaretorpet/aktiviteter.json").json()
    assert len(data["activities"]) == Activity.objects.count()


def test_the_dashboard_and_timeline_open_from_the_plan_bar(page, demo):
    log_in(page, "lasare")
    page.goto(page.base + DECLARATION)
    page.get_by_role("link", name="Översikt").click()
    page.wait_for_url(re.compile("/oversikt/$"))
    assert page.get_by_role("heading", level=1).is_visible()
    page.goto(page.base + DECLARATION)
    page.get_by_role("link", name="Tidplan", exact=True).click()
    page.wait_for_url(re.compile("/tidplan/$"))
    assert page.locator("svg").count() > 0
