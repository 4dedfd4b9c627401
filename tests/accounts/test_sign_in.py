"""Sign-in through the organisations' OpenID providers: the real flow against panva's
oidc-provider on 127.0.0.1 (tests/oidc_provider), its token endpoint and keys included."""

import html
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import OrganisationIdentity
from klockaretorpet import permissions, sessions
from strategies.models import Membership
from tests.accounts.conftest import (
    portal_client,
    provider_browser,
    through_the_provider,
    to_the_callback,
)

pytestmark = [pytest.mark.django_db, pytest.mark.needs("nodejs")]

User = get_user_model()
ANNA = {
    "email": "anna.andersson@norrkoping.se",
    "email_verified": True,
    "given_name": "Anna",
    "family_name": "Andersson",
    "name": "Anna Andersson",
    "unit": "SBK",
    "groups": ["alla-anstallda", "plan-redaktorer"],
}


def user_of(provider, subject):
    return OrganisationIdentity.objects.get(provider=provider.name, subject=subject).user


def logged_in_user(client):
    response = client.get(reverse("strategies:home"))
    return response.wsgi_request.user if response.status_code == 200 else None


def test_a_first_sign_in_makes_a_user_of_the_organisation_unit_and_role(providers):
    kommun = providers["kommun"]
    kommun.set_account("anna", **ANNA)
    client = portal_client()

    response = through_the_provider(client, kommun, "anna", next_url="/tillganglighet/")

    assert response.status_code == 302
    assert response["Location"] == "/tillganglighet/"
    user = user_of(kommun, "anna")
    assert (user.username, user.email, user.get_full_name()) == (
        "anna.andersson@norrkoping.se",
        "anna.andersson@norrkoping.se",
        "Anna Andersson",
    )
    assert not user.has_usable_password()
    assert user.membership.organisation.name == "Samhällsbyggnadskontoret"
    assert permissions.role_of(user) == permissions.Role.EDITOR
    home = client.get(reverse("strategies:home"))
    assert home.status_code == 200
    assert "Anna Andersson: Redaktör, Samhällsbyggnadskontoret" in home.content.decode()
    # Who changed the membership: the person, at their sign-in.
    assert Membership.history.get(user=user).history_user == user


def test_two_providers_at_once_keep_their_people_apart(providers):
    kommun, hyresbostader = providers["kommun"], providers["hyresbostader"]
    # The same subject at two providers is two people.
    kommun.set_account("a1", **{**ANNA, "groups": ["plan-planadministratorer"], "unit": ""})
    hyresbostader.set_account(
        "a1",
        email="bo.berg@hyresbostader.se",
        name="Bo Berg",
        groups=["HB-Klockaretorpet-redaktor"],
    )
    at_kommun, at_hyresbostader = portal_client(), portal_client()

    assert through_the_provider(at_kommun, kommun, "a1").status_code == 302
    assert through_the_provider(at_hyresbostader, hyresbostader, "a1").status_code == 302

    anna, bo = user_of(kommun, "a1"), user_of(hyresbostader, "a1")
    assert anna != bo
    assert (anna.membership.organisation.name, permissions.role_of(anna)) == (
        "Norrköpings kommun",
        permissions.Role.PLAN_ADMIN,
    )
    assert (bo.membership.organisation.name, permissions.role_of(bo)) == (
        "Hyresbostäder i Norrköping",
        permissions.Role.EDITOR,
    )
    assert bo.get_full_name() == "Bo Berg"
    assert logged_in_user(at_kommun) == anna
    assert logged_in_user(at_hyresbostader) == bo


@pytest.mark.parametrize("mode", ["foreign-key", "wrong-issuer", "wrong-audience", "no-nonce"])
def test_an_id_token_that_does_not_check_out_logs_nobody_in(providers, mode):
    kommun = providers["kommun"]
    kommun.set_account("anna", **ANNA)
    kommun.set_mode(mode)
    client = portal_client()

    response = through_the_provider(client, kommun, "anna")

    assert response.status_code == 400
    assert "Norrköpings kommuns konto kunde inte kontrolleras" in response.content.decode()
    assert not OrganisationIdentity.objects.exists()
    assert not User.objects.exists()
    assert logged_in_user(client) is None
    # The provider did answer, and with the spoiled token: the portal refused it.
    assert kommun.last_token_request() is not None


def test_an_answer_is_used_once_and_only_by_the_browser_that_asked(providers):
    kommun = providers["kommun"]
    kommun.set_account("anna", **ANNA)
    client = portal_client()
    response, callback = to_the_callback(client, kommun, "anna")
    assert response.status_code == 302
    client.post(reverse("logout"))

    again = client.get(callback)
    assert again.status_code == 400
    assert "redan använts" in again.content.decode()
    stranger = portal_client()
    assert stranger.get(callback).status_code == 400
    assert logged_in_user(stranger) is None


def test_without_a_mapped_group_the_person_waits_and_plan_admins_see_them(providers):
    kommun = providers["kommun"]
    kommun.set_account("cecilia", email="cecilia@norrkoping.se", name="Cecilia Ek", groups=["x"])
    client = portal_client()

    response = through_the_provider(client, kommun, "cecilia")

    assert response["Location"] == reverse("accounts:waiting")
    page = client.get(reverse("accounts:waiting")).content.decode()
    assert "En planadministratör måste ge dig behörighet" in page
    assert "Cecilia Ek" in page
    assert "(Norrköpings kommun)" in page
    assert client.get(reverse("strategies:home")).status_code == 403

    kommun.set_account("pia", email="pia@norrkoping.se", groups=["plan-planadministratorer"])
    admin_client = portal_client()
    through_the_provider(admin_client, kommun, "pia")
    home = admin_client.get(reverse("strategies:home")).content.decode()
    assert "1 person har loggat in och väntar på behörighet" in home
    waiting = admin_client.get(reverse("accounts:waiting-users")).content.decode()
    assert "Cecilia Ek" in waiting
    assert "Norrköpings kommuns konto" in waiting


def test_a_changed_group_changes_the_role_at_the_next_sign_in(providers):
    kommun = providers["kommun"]
    kommun.set_account("anna", **ANNA)
    through_the_provider(portal_client(), kommun, "anna")
    anna = user_of(kommun, "anna")
    assert permissions.role_of(anna) == permissions.Role.EDITOR

    # IT moves Anna to the readers and to another unit.
    kommun.set_account("anna", **{**ANNA, "groups": ["plan-lasare"], "unit": ""})
    through_the_provider(portal_client(), kommun, "anna")
    anna = User.objects.get(pk=anna.pk)
    assert permissions.role_of(anna) == permissions.Role.READER
    assert anna.membership.organisation.name == "Norrköpings kommun"

    # Then out of every portal group: the role the provider gave goes with it.
    kommun.set_account("anna", **{**ANNA, "groups": []})
    response = through_the_provider(portal_client(), kommun, "anna")
    assert response["Location"] == reverse("accounts:waiting")
    assert permissions.role_of(User.objects.get(pk=anna.pk)) is None


def test_a_role_given_by_hand_stays_until_the_provider_gives_one(providers):
    kommun = providers["kommun"]
    kommun.set_account("david", email="david@norrkoping.se", groups=[])
    through_the_provider(portal_client(), kommun, "david")
    david = user_of(kommun, "david")
    david.groups.add(Group.objects.get(name="Läsare"))

    through_the_provider(portal_client(), kommun, "david")
    assert permissions.role_of(User.objects.get(pk=david.pk)) == permissions.Role.READER

    kommun.set_account("david", email="david@norrkoping.se", groups=["plan-redaktorer"])
    through_the_provider(portal_client(), kommun, "david")
    assert set(User.objects.get(pk=david.pk).groups.values_list("name", flat=True)) == {"Redaktör"}


def test_a_local_account_with_the_same_e_mail_is_not_taken_over(providers):
    local = User.objects.create_user(
        "anna.andersson@norrkoping.se",
        email="anna.andersson@norrkoping.se",
        password="ett-langt-losenord-1",
    )
    local.groups.add(Group.objects.get(name="Planadministratör"))
    kommun = providers["kommun"]
    kommun.set_account("anna", **{**ANNA, "groups": []})
    client = portal_client()

    response = through_the_provider(client, kommun, "anna")

    signed_in = user_of(kommun, "anna")
    assert signed_in != local
    assert signed_in.username == "anna.andersson@norrkoping.se.kommun"
    assert response["Location"] == reverse("accounts:waiting")
    assert logged_in_user(client) is None  # no role: the plan admin's rights did not come along
    assert not OrganisationIdentity.objects.filter(user=local).exists()
    # The local account keeps its role and its password.
    assert permissions.role_of(User.objects.get(pk=local.pk)) == permissions.Role.PLAN_ADMIN
    password_client = Client()
    password_client.post(
        reverse("login"),
        {"username": local.username, "password": "ett-langt-losenord-1"},
    )
    assert logged_in_user(password_client) == local


def test_a_closed_portal_account_cannot_sign_in(providers):
    kommun = providers["kommun"]
    kommun.set_account("anna", **ANNA)
    through_the_provider(portal_client(), kommun, "anna")
    User.objects.filter(pk=user_of(kommun, "anna").pk).update(is_active=False)
    client = portal_client()

    response = through_the_provider(client, kommun, "anna")

    assert response.status_code == 403
    assert "Ditt konto i portalen är avstängt" in response.content.decode()
    assert logged_in_user(client) is None


def test_an_account_closed_at_the_provider_loses_the_portal_at_the_sign_in_s_latest_end(
    providers, settings, monkeypatch
):
    settings.OIDC_SESSION_MAX_HOURS = 10
    kommun = providers["kommun"]
    kommun.set_account("anna", **ANNA)
    client = portal_client()
    through_the_provider(client, kommun, "anna")
    kommun.remove_account("anna")
    # The provider refuses her from now on.
    with pytest.raises(AssertionError):
        through_the_provider(portal_client(), kommun, "anna")

    started = time.time()
    # In use all day: every hour a page, which renews an unused session's end each time.
    for hour in range(1, 10):
        monkeypatch.setattr(sessions.time, "time", lambda hour=hour: started + hour * 3600)
        assert client.get(reverse("strategies:home")).status_code == 200
    monkeypatch.setattr(sessions.time, "time", lambda: started + 10 * 3600 + 1)
    response = client.get(reverse("strategies:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert logged_in_user(client) is None


def test_signing_out_ends_the_provider_s_session_too(providers):
    kommun = providers["kommun"]
    kommun.set_account("anna", **ANNA)
    client = portal_client()
    through_the_provider(client, kommun, "anna")
    page = client.get(reverse("strategies:home"))
    # The logout form may lead on to the provider (the CSP's form-action).
    assert kommun.issuer in page["Content-Security-Policy"].split("form-action")[1].split(";")[0]

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    end_session = response["Location"]
    assert end_session.startswith(f"{kommun.issuer}/session/end?")
    assert "id_token_hint=" in end_session
    assert logged_in_user(client) is None
    browser = provider_browser()
    step = browser.get(end_session, allow_redirects=False, timeout=10)
    # The provider's confirmation page posts itself; a browser without scripts presses "Yes".
    assert step.status_code == 200
    action = html.unescape(re.search(r'<form[^>]* action="([^"]+)"', step.text).group(1))
    inputs = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', step.text))
    done = browser.post(
        f"{kommun.issuer}{action}" if action.startswith("/") else action,
        data={**inputs, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code in (302, 303)
    assert done.headers["Location"].startswith("http://127.0.0.1:8000/konto/utloggad/")
    assert client.get(reverse("accounts:logged-out")).status_code == 200


def test_a_password_user_signs_out_of_the_portal_only(providers, reader):
    client = Client()
    client.force_login(reader)
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
