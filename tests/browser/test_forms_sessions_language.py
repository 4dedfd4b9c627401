"""What axe cannot see on the portal's forms and pages, checked the way an assistive-technology
user meets it: after a failed submit focus lands on the error summary and every error is read
with its field (WCAG 3.3.1, 1.3.1); an unused session warns before it ends, can be extended, and
keeps the text being typed when it ends anyway (2.2.1); plan texts written in Swedish are marked
as Swedish on the English interface (3.1.2)."""

import time

import pytest

from followup.models import ActivityReview, FollowUp
from plans.models import Activity
from strategies.models import IntentDeclaration

from .conftest import DEMO_PASSWORD, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# After a failed submit: where focus is, and for each field's error message which controls name
# it in aria-describedby (a fieldset stands for its radios or checkboxes) and whether they are
# marked invalid.
ERROR_STATE = """() => {
  const summary = document.querySelector('.error-summary');
  const describedBy = (id) => [...document.querySelectorAll('[aria-describedby]')]
    .filter((element) => element.getAttribute('aria-describedby').split(/\\s+/).includes(id));
  return {
    focusIsOnSummary: summary !== null && document.activeElement === summary,
    summaryLinks: summary ? [...summary.querySelectorAll('a')].map((link) => ({
      href: link.getAttribute('href'),
      leadsToAField: !!document.getElementById(link.getAttribute('href').slice(1)),
    })) : [],
    errors: [...document.querySelectorAll('.field-errors')].map((message) => {
      const describing = describedBy(message.id);
      const controls = describing.flatMap((element) => element.matches('fieldset')
        ? [...element.querySelectorAll('input, select, textarea')] : [element]);
      return {
        id: message.id,
        text: message.innerText.trim(),
        describedByCount: describing.length,
        allInvalid: controls.length > 0
          && controls.every((control) => control.getAttribute('aria-invalid') === 'true'),
      };
    }),
  };
}"""


def assert_errors_are_tied_to_their_fields(page, form_name: str) -> None:
    state = page.evaluate(ERROR_STATE)
    assert state["errors"], (form_name, "no field error was shown")
    assert state["focusIsOnSummary"], (form_name, "focus did not move to the error summary")
    for error in state["errors"]:
        assert error["text"], (form_name, error)
        assert error["describedByCount"] >= 1, (form_name, "no control names the error", error)
        assert error["allInvalid"], (form_name, "aria-invalid missing", error)
    assert len(state["summaryLinks"]) >= len(state["errors"]), (form_name, state)
    assert all(link["leadsToAField"] for link in state["summaryLinks"]), (form_name, state)


def submit(page, button_name: str) -> None:
    page.get_by_role("button", name=button_name, exact=True).click()
    page.wait_for_load_state()


def test_a_failed_login_moves_focus_to_the_errors_and_names_them_with_their_fields(page, demo):
    page.goto(page.base + "/konto/login/")
    submit(page, "Logga in")
    assert_errors_are_tied_to_their_fields(page, "login")
    # Django's "Detta fält måste fyllas i." says which field only beside it: the summary adds it.
    summary = page.locator(".error-summary").inner_text()
    assert "Användarnamn: Detta fält måste fyllas i." in summary
    # Required fields say so in their label.
    assert "obligatoriskt" in page.locator("label[for=id_username]").inner_text()


def test_every_staff_form_moves_focus_to_the_errors_and_ties_each_to_its_field(page, demo):
    activity = Activity.objects.filter(title__startswith="Exempel:").in_code_order().first()
    open_round = FollowUp.objects.get(state="open")
    log_in(page, "planadmin")

    forms = {
        "report": (f"/uppfoljningar/{open_round.pk}/aktiviteter/{activity.pk}/", "Spara rapporten"),
        "copy": ("/avsiktsforklaringar/klockaretorpet/kopiera/", "Kopiera avsiktsförklaringen"),
        "erase a name": ("/granskning/ta-bort-namn/", "Sök"),
        "round import": (f"/uppfoljningar/{open_round.pk}/importera/", "Förhandsvisa"),
        "password": ("/konto/losenord/", "Byt lösenord"),
        # The demo's open round has unreported activities: closing asks for a reason.
        "close the round": (f"/uppfoljningar/{open_round.pk}/stang/", "Stäng ändå"),
    }
    for name, (path, button) in forms.items():
        page.goto(page.base + path)
        typed = "form.stacked-form textarea, form.stacked-form input[type=text]"
        for field in page.locator(typed).all():
            field.fill("")
        submit(page, button)
        assert_errors_are_tied_to_their_fields(page, name)


def test_a_filter_given_a_value_that_no_longer_exists_says_so_at_its_field(page, demo):
    open_round = FollowUp.objects.get(state="open")
    log_in(page, "lasare")
    for name, path in {
        "declaration filters": "/avsiktsforklaringar/klockaretorpet/?lead_organisation=999999",
        "round filters": f"/uppfoljningar/{open_round.pk}/?organisation=999999",
    }.items():
        page.goto(page.base + path)
        assert_errors_are_tied_to_their_fields(page, name)


def test_the_filters_show_their_help_texts_tied_to_their_fields(page, demo):
    log_in(page, "lasare")
    page.goto(page.base + "/avsiktsforklaringar/klockaretorpet/")
    late = page.locator("#id_late")
    hint = page.locator("#" + late.get_attribute("aria-describedby"))
    assert hint.is_visible()
    assert "efter sin tidplan" in hint.inner_text()


def test_a_message_after_a_saves_redirect_takes_focus(page, demo):
    # Present when the page loads, a live region would not be read out: focus brings it.
    plan = FollowUp.objects.get(state="open").plan
    log_in(page, "planadmin")
    page.goto(page.base + f"/planer/{plan.pk}/revidering/")
    submit(page, "Skriv versionen")
    focused = page.locator(":focus")
    assert "messages" in focused.get_attribute("class")
    assert "version" in focused.inner_text().lower()


# Sessions


@pytest.fixture
def short_sessions(settings):
    # Twenty seconds of session, a warning in the last fourteen.
    settings.SESSION_COOKIE_AGE = 20
    settings.SESSION_WARNING_SECONDS = 14
    return settings


def test_the_session_warns_before_it_ends_and_staying_logged_in_extends_it(
    page, demo, short_sessions
):
    log_in(page, "redaktor.hyresbostader")
    page.goto(page.base + "/")
    warning = page.get_by_role("alertdialog", name="Du loggas snart ut")
    assert warning.is_hidden()
    warning.wait_for(state="visible", timeout=12_000)
    # The button takes focus so that a keyboard user can continue at once.
    assert page.evaluate("document.activeElement.textContent.trim()") == "Fortsätt vara inloggad"
    assert ":" in warning.locator("time").inner_text()

    page.keyboard.press("Enter")
    warning.wait_for(state="hidden")
    time.sleep(8)  # past the end the session had before it was extended
    page.reload()
    assert "/konto/login/" not in page.url
    assert page.get_by_role("button", name="Logga ut").is_visible()


def test_text_being_typed_when_the_session_ends_is_kept_through_the_login(
    page, demo, short_sessions
):
    activity = Activity.objects.filter(title__startswith="Exempel:").in_code_order().first()
    open_round = FollowUp.objects.get(state="open")
    form = f"/uppfoljningar/{open_round.pk}/aktiviteter/{activity.pk}/"
    log_in(page, "redaktor.hyresbostader")
    page.goto(page.base + form)
    typed = "Vi har haft tre trygghetsvandringar och en workshop med skolan."
    page.get_by_label("Vad som har gjorts").fill(typed)

    page.wait_for_url("**/konto/login/**", timeout=30_000)
    assert "session=ended" in page.url
    assert page.get_by_text("Din session har avslutats").is_visible()

    page.get_by_label("Användarnamn").fill("redaktor.hyresbostader")
    page.get_by_label("Lösenord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"**{form}")
    assert page.get_by_label("Vad som har gjorts").input_value() == typed
    notice = page.locator("#draft-restored")
    assert notice.is_visible()
    assert page.evaluate("document.activeElement.id") == "draft-restored"

    # Saved now, the text the session's end interrupted is the report.
    page.get_by_role("radio", name="Enligt plan").check()
    page.get_by_role("button", name="Spara rapporten").click()
    page.wait_for_load_state()
    assert ActivityReview.objects.get(follow_up=open_round, activity=activity).done == typed


def test_the_admins_change_form_warns_too(page, demo, short_sessions):
    # Most of the plan is typed in the admin: its pages carry the same warning.
    activity = Activity.objects.filter(title__startswith="Exempel:").in_code_order().first()
    log_in(page, "redaktor.hyresbostader")
    page.goto(page.base + f"/admin/plans/activity/{activity.pk}/change/")
    warning = page.get_by_role("alertdialog", name="Du loggas snart ut")
    warning.wait_for(state="visible", timeout=12_000)
    page.get_by_role("button", name="Fortsätt vara inloggad").click()
    warning.wait_for(state="hidden")


def test_a_page_in_use_renews_the_session(page, demo, short_sessions):
    log_in(page, "lasare")
    for _ in range(4):
        time.sleep(7)
        page.goto(page.base + "/stadsdelar/klockaretorpet/")
        assert "/konto/login/" not in page.url
    # 28 seconds after the login, longer than a session lasts unused.
    assert page.get_by_role("button", name="Logga ut").is_visible()


# Language of parts


def test_swedish_plan_texts_are_marked_swedish_on_the_english_interface(page, demo):
    declaration = IntentDeclaration.objects.get(slug="klockaretorpet")
    activity = Activity.objects.filter(title__startswith="Exempel:").in_code_order().first()
    log_in(page, "lasare")
    page.goto(page.base + "/")
    page.get_by_role("button", name="In English").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"

    language_of = """(text) => {
      const main = document.querySelector('main');
      const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.textContent.includes(text)) {
          return node.parentElement.closest('[lang]').lang;
        }
      }
      return null;
    }"""
    page.goto(page.base + declaration.get_absolute_url())
    vision_start = declaration.vision.strip().split("\n")[0][:40]
    assert page.evaluate(language_of, vision_start) == "sv"
    assert page.evaluate(language_of, declaration.title) == "sv"
    # The interface's own words stay English.
    assert page.evaluate(language_of, "Vision") == "en"

    page.goto(page.base + activity.get_absolute_url())
    assert page.evaluate(language_of, activity.title) == "sv"
    assert page.evaluate(language_of, activity.description.strip()[:30]) == "sv"
