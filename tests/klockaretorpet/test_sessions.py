"""A session ends after a time without use, not at a fixed hour after login (WCAG 2.2.1)."""

import pytest
from django.test import Client
from django.urls import reverse

from klockaretorpet import sessions

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(1_800_000_000)
    monkeypatch.setattr(sessions.time, "time", clock)
    return clock


def test_use_moves_the_end_of_the_session_and_idleness_does_not(reader, clock, settings):
    settings.SESSION_COOKIE_AGE = 8 * 60 * 60
    client = Client()
    client.post(reverse("login"), {"username": "lasare", "password": "lösenord-för-test"})
    home = reverse("strategies:home")

    first_page = client.get(home)
    assert first_page.context["session_seconds_left"] == 8 * 60 * 60

    # Seven hours later, the portal in use: the session lasts eight hours from now.
    clock.now += 7 * 60 * 60
    page = client.get(home)
    assert page.status_code == 200
    assert page.context["session_seconds_left"] == 8 * 60 * 60
    assert "/konto/login/" not in page.get("Location", "")


def test_a_request_within_the_minute_does_not_write_the_session(reader, clock, settings):
    client = Client()
    client.force_login(reader)
    home = reverse("strategies:home")
    client.get(home)
    renewed = client.session[sessions.RENEWED_AT]

    clock.now += 30
    assert client.get(home).context["session_seconds_left"] == settings.SESSION_COOKIE_AGE - 30
    assert client.session[sessions.RENEWED_AT] == renewed

    clock.now += 31
    client.get(home)
    assert client.session[sessions.RENEWED_AT] == renewed + 61


def test_staying_logged_in_renews_the_session_and_says_for_how_long(reader, clock, settings):
    client = Client()
    client.force_login(reader)
    client.get(reverse("strategies:home"))
    clock.now += 50

    response = client.post(reverse("extend-session"))

    assert response.json() == {"seconds_left": settings.SESSION_COOKIE_AGE}
    assert client.session[sessions.RENEWED_AT] == clock.now


def test_an_ended_session_cannot_be_extended_and_is_answered_without_a_login_page():
    response = Client().post(reverse("extend-session"))

    assert response.status_code == 401
    assert response.json() == {"seconds_left": 0}
    assert Client().get(reverse("extend-session")).status_code == 405


def test_the_login_page_says_why_when_the_session_ended():
    page = Client().get(reverse("login"), {"session": "ended", "next": "/"}).content.decode()

    assert "Din session har avslutats" in page
    assert "Din session har avslutats" not in Client().get(reverse("login")).content.decode()


def test_the_warning_is_on_logged_in_pages_only(reader):
    client = Client()
    assert 'id="session-warning"' not in client.get(reverse("login")).content.decode()
    client.force_login(reader)
    page = client.get(reverse("strategies:home")).content.decode()
    assert 'id="session-warning"' in page
    assert 'data-warning-seconds="300"' in page
