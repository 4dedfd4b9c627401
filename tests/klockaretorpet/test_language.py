"""Swedish by default, English through the switch; the accessibility statement for everyone."""

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_portal_is_swedish_even_for_an_english_browser(reader):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    client.force_login(reader)

    response = client.get(reverse("strategies:home"))

    assert response["Content-Language"] == "sv"
    assert '<html lang="sv">' in response.content.decode()
    assert "Stadsdelar" in response.content.decode()


def test_the_switch_turns_every_page_english_and_back(reader):
    client = Client()
    client.force_login(reader)

    switched = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("strategies:home")).content.decode()
    client.post(reverse("set_language"), {"language": "sv", "next": "/"})
    swedish = client.get(reverse("strategies:home")).content.decode()

    assert switched.status_code == 302
    assert '<html lang="en">' in english
    assert "Districts" in english
    assert re.search(r'<button[^>]* lang="sv"[^>]*>På svenska</button>', english)
    assert '<html lang="sv">' in swedish
    assert re.search(r'<button[^>]* lang="en"[^>]*>In English</button>', swedish)


def test_visitors_who_are_not_logged_in_can_switch_and_read_the_statement():
    client = Client()

    login_page = client.get(reverse("login")).content.decode()
    statement = client.get(reverse("accessibility")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": reverse("accessibility")})
    english = client.get(reverse("accessibility")).content.decode()

    assert reverse("accessibility") in login_page
    assert "<h1>Tillgänglighetsredogörelse</h1>" in statement
    for section in [
        "Hur tillgänglig är webbplatsen?",
        "Tillsyn",
        "Innehåll som inte är tillgängligt",
    ]:
        assert section in statement
    assert "<h1>Accessibility statement</h1>" in english


def test_an_unknown_language_cookie_falls_back_to_swedish(reader):
    client = Client()
    client.force_login(reader)
    client.cookies["django_language"] = "xx"

    assert client.get(reverse("strategies:home"))["Content-Language"] == "sv"
