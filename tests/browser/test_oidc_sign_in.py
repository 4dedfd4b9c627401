"""Signing in with the organisation's own account, in Chromium, through the real provider's
login page (tests/oidc_provider), and signing out of both."""

import re

import pytest

from accounts.models import OrganisationIdentity
from tests.accounts.conftest import provider_setting
from tests.oidc_provider.fixtures import (  # noqa: F401  (fixtures)
    oidc_provider_processes,
    oidc_providers,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.needs("nodejs"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def providers_in_the_portal(page, oidc_providers, settings):  # noqa: F811
    settings.OIDC_PROVIDERS = [provider_setting(p) for p in oidc_providers.values()]
    # The providers send people back to 127.0.0.1 only, as registered.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    page.base = page.base.replace("://localhost:", "://127.0.0.1:")
    return oidc_providers


def sign_in_at_the_provider(page, label: str, login: str) -> None:
    page.goto(page.base + "/konto/login/")
    page.get_by_role("link", name=f"Logga in med {label}").click()
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill("vad som helst")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(lambda url: url.startswith(page.base))


def test_staff_of_both_organisations_sign_in_with_their_accounts_and_out_again(
    page,
    demo,
    providers_in_the_portal,
):
    kommun, hyresbostader = (
        providers_in_the_portal["kommun"],
        providers_in_the_portal["hyresbostader"],
    )
    kommun.set_account(
        "anna",
        email="anna.andersson@norrkoping.se",
        given_name="Anna",
        family_name="Andersson",
        groups=["plan-redaktorer"],
    )
    hyresbostader.set_account(
        "bo", email="bo.berg@hyresbostader.se", name="Bo Berg", groups=["HB-Alla"]
    )

    sign_in_at_the_provider(page, "Norrköpings kommuns konto", "anna")

    assert page.url == page.base + "/"
    assert page.get_by_text(
        "Inloggad som Anna Andersson: Redaktör, Norrköpings kommun."
    ).is_visible()
    assert OrganisationIdentity.objects.get(provider="kommun").user.email == (
        "anna.andersson@norrkoping.se"
    )

    # Out of the portal and of the provider: the provider's page comes back to the portal's.
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(re.compile(r"/konto/utloggad/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Du är utloggad"
    # The provider's session is over too: the next sign-in asks for the login again.
    page.goto(page.base + "/konto/login/")
    page.get_by_role("link", name="Logga in med Norrköpings kommuns konto").click()
    assert page.get_by_role("button", name="Sign-in").is_visible()

    sign_in_at_the_provider(page, "Hyresbostäders konto", "bo")
    assert page.get_by_text(
        "Inloggad som Bo Berg: Läsare, Hyresbostäder i Norrköping."
    ).is_visible()


def test_at_a_sign_in_s_latest_end_the_warning_says_it_cannot_be_extended(
    page,
    demo,
    providers_in_the_portal,
    settings,
):
    # A sign-in of twenty seconds, however much it is used; the warning in its last fourteen.
    settings.OIDC_SESSION_MAX_HOURS = 20 / 3600
    settings.SESSION_WARNING_SECONDS = 14
    providers_in_the_portal["kommun"].set_account(
        "anna", name="Anna Andersson", groups=["plan-lasare"]
    )
    sign_in_at_the_provider(page, "Norrköpings kommuns konto", "anna")

    warning = page.get_by_role("alertdialog", name="Du loggas snart ut")
    warning.wait_for(state="visible", timeout=12_000)
    page.keyboard.press("Enter")

    notice = warning.get_by_text("Inloggningen kan inte förlängas mer")
    notice.wait_for(state="visible")
    assert page.evaluate("document.activeElement.hasAttribute('data-session-final')")
    assert warning.get_by_role("button", name="Fortsätt vara inloggad").is_hidden()
    page.wait_for_timeout(2_000)
    assert warning.is_visible()
    page.wait_for_url("**/konto/login/**", timeout=30_000)
