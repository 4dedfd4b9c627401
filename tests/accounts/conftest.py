import html
import re
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth.models import Group
from django.test import Client

from tests.factories import OrganisationFactory
from tests.oidc_provider.fixtures import oidc_provider_processes, oidc_providers  # noqa: F401

PORTAL = "http://127.0.0.1:8000"
# The provider's groups that give the portal's roles, as IT would name them.
ROLE_GROUPS = {
    "kommun": {
        "plan_admin": ["plan-planadministratorer"],
        "editor": ["plan-redaktorer"],
        "reader": ["plan-lasare", "alla-anstallda"],
    },
    "hyresbostader": {
        "plan_admin": [],
        "editor": ["HB-Klockaretorpet-redaktor"],
        "reader": ["HB-Alla"],
    },
}
ORGANISATIONS = {"kommun": "Norrköpings kommun", "hyresbostader": "Hyresbostäder i Norrköping"}
LABELS = {"kommun": "Norrköpings kommuns konto", "hyresbostader": "Hyresbostäders konto"}


def provider_setting(provider) -> dict:
    return {
        "name": provider.name,
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "organisation": ORGANISATIONS[provider.name],
        "label": LABELS[provider.name],
        "scopes": ["openid", "email", "profile", "groups"],
        "groups_claim": "groups",
        "unit_claim": "unit",
        "role_groups": ROLE_GROUPS[provider.name],
    }


@pytest.fixture
def organisations(db):
    kommun = OrganisationFactory(name="Norrköpings kommun", short_name="Kommunen")
    return {
        "kommun": kommun,
        "hyresbostader": OrganisationFactory(name="Hyresbostäder i Norrköping", short_name="HBN"),
        "unit": OrganisationFactory(
            name="Samhällsbyggnadskontoret", short_name="SBK", parent=kommun
        ),
    }


@pytest.fixture
def providers(oidc_providers, organisations, settings):  # noqa: F811
    """Both test providers, configured in the portal as production configures its own."""
    settings.OIDC_PROVIDERS = [provider_setting(p) for p in oidc_providers.values()]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    assert Group.objects.filter(name="Redaktör").exists()
    return oidc_providers


def portal_client() -> Client:
    # The provider lets its clients come back to 127.0.0.1 only (any port).
    return Client(HTTP_HOST="127.0.0.1:8000")


def provider_browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # straight to 127.0.0.1, whatever proxy the machine names
    return session


def through_the_provider(client: Client, provider, login: str, *, next_url: str = ""):
    """The whole sign-in, as a browser does it: the login page's button, the provider's own
    login page, and back to the portal's callback. Returns the callback's response."""
    return to_the_callback(client, provider, login, next_url=next_url)[0]


def to_the_callback(client: Client, provider, login: str, *, next_url: str = ""):
    """As `through_the_provider`; also returns the callback's address, to send it again."""
    start = client.get(f"/konto/oidc/{provider.name}/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start.content
    browser = provider_browser()
    page = browser.get(start["Location"], timeout=10)
    assert page.status_code == 200, page.text
    action = html.unescape(re.search(r'<form[^>]* action="([^"]+)"', page.text).group(1))
    response = browser.post(
        f"{provider.issuer}{action}",
        data={"login": login, "password": "vad som helst"},
        allow_redirects=False,
        timeout=10,
    )
    while response.is_redirect and not response.headers["Location"].startswith(PORTAL):
        response = browser.get(response.headers["Location"], allow_redirects=False, timeout=10)
    assert response.is_redirect, (response.status_code, response.text[:500])
    back = urlsplit(response.headers["Location"])
    callback = f"{back.path}?{back.query}"
    return client.get(callback), callback
