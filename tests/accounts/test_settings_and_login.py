"""The login page, password login switched off, and the providers' configuration checks; no
provider process is needed here."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse

from klockaretorpet.settings import oidc_provider

pytestmark = pytest.mark.django_db

KOMMUN = {
    "name": "kommun",
    "issuer": "https://login.microsoftonline.com/tenant/v2.0",
    "client_id": "planportalen",
    "client_secret": "hemligt",
    "organisation": "Norrköpings kommun",
    "label": "Norrköpings kommuns konto",
}
HYRESBOSTADER = {
    **KOMMUN,
    "name": "hyresbostader",
    "issuer": "https://id.hyresbostader.se",
    "label": "Hyresbostäders konto",
}


def check_ids(settings):
    return sorted(message.id for message in run_checks() if message.id.startswith("accounts."))


def test_a_provider_without_https_is_refused_outside_debug(settings):
    settings.OIDC_PROVIDERS = [KOMMUN, {**HYRESBOSTADER, "issuer": "http://id.hyresbostader.se"}]
    settings.DEBUG = False
    assert check_ids(settings) == ["accounts.E001"]
    settings.DEBUG = True
    assert check_ids(settings) == []


def test_an_incomplete_provider_is_named_with_what_it_lacks(settings):
    settings.OIDC_PROVIDERS = [{**KOMMUN, "client_secret": "", "name": "Kommun X"}]
    messages = [m for m in run_checks() if m.id.startswith("accounts.")]
    assert sorted(m.id for m in messages) == ["accounts.E002", "accounts.E003"]
    assert "DJANGO_OIDC_KOMMUN X_CLIENT_SECRET" in " ".join(m.msg for m in messages)


def test_providers_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_OIDC_HYRESBOSTADER_ISSUER", "https://id.hyresbostader.se")
    monkeypatch.setenv("DJANGO_OIDC_HYRESBOSTADER_EDITOR_GROUPS", "HB-Redaktor, HB-Plan")
    monkeypatch.setenv("DJANGO_OIDC_HYRESBOSTADER_SCOPES", "openid email profile groups")
    monkeypatch.setenv("DJANGO_OIDC_HYRESBOSTADER_UNIT_CLAIM", "department")
    entry = oidc_provider("hyresbostader")
    assert entry["issuer"] == "https://id.hyresbostader.se"
    assert entry["role_groups"]["editor"] == ["HB-Redaktor", "HB-Plan"]
    assert entry["role_groups"]["plan_admin"] == []
    assert entry["scopes"] == ["openid", "email", "profile", "groups"]
    assert entry["unit_claim"] == "department"
    assert entry["groups_claim"] == "groups"


def test_the_login_page_offers_each_organisation_above_the_password_form(settings):
    settings.OIDC_PROVIDERS = [KOMMUN, HYRESBOSTADER]
    page = Client().get(reverse("login") + "?next=/tillganglighet/").content.decode()
    kommun = page.index("Logga in med Norrköpings kommuns konto")
    hyresbostader = page.index("Logga in med Hyresbostäders konto")
    assert kommun < hyresbostader < page.index('name="password"')
    assert 'href="/konto/oidc/kommun/?next=/tillganglighet/"' in page
    assert "<details" not in page


def test_without_providers_the_login_page_is_the_password_form(settings):
    settings.OIDC_PROVIDERS = []
    page = Client().get(reverse("login")).content.decode()
    assert "Logga in med" not in page
    assert 'name="password"' in page


@pytest.fixture
def editor_with_password(django_user_model):
    user = django_user_model.objects.create_user("redaktor", password="ett-langt-losenord-1")
    user.groups.add(Group.objects.get(name="Redaktör"))
    return user


def test_password_login_off_leaves_it_to_superusers(settings, editor_with_password):
    settings.OIDC_PROVIDERS = [KOMMUN]
    # Logged in before it was switched off: that session ends with it.
    earlier = Client()
    earlier.force_login(editor_with_password, backend="accounts.backends.PasswordBackend")
    settings.PASSWORD_LOGIN = False

    client = Client()
    page = client.get(reverse("login")).content.decode()
    assert "<details" in page
    assert "Logga in med lösenord (endast systemadministratörer)" in page
    refused = client.post(
        reverse("login"), {"username": "redaktor", "password": "ett-langt-losenord-1"}
    )
    assert refused.status_code == 200
    assert not refused.wsgi_request.user.is_authenticated
    assert earlier.get(reverse("strategies:home")).status_code == 302

    get_user_model().objects.create_superuser("root", password="ett-langt-losenord-2")
    admitted = client.post(
        reverse("login"), {"username": "root", "password": "ett-langt-losenord-2"}
    )
    assert admitted.status_code == 302
    assert client.get(reverse("strategies:home")).status_code == 200


def test_a_provider_that_does_not_answer_gets_a_swedish_page(settings, db):
    settings.OIDC_PROVIDERS = [{**KOMMUN, "issuer": "http://127.0.0.1:9"}]
    response = Client().get(reverse("accounts:start", args=["kommun"]))
    assert response.status_code == 503
    assert "Inloggningstjänsten för Norrköpings kommuns konto svarar inte" in (
        response.content.decode()
    )
