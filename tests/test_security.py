import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "ett-riktigt-långt-lösenord"


@pytest.fixture
def anna(django_user_model):
    return django_user_model.objects.create_user("anna", password=PASSWORD)


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_failures_lock_the_account_for_that_address(anna, django_user_model):
    django_user_model.objects.create_user("bo", password=PASSWORD)
    client = Client(REMOTE_ADDR="10.0.0.7")
    for _ in range(4):
        assert log_in(client, "anna", "fel-lösenord").status_code == 200
    fifth = log_in(client, "anna", "fel-lösenord")

    locked = log_in(client, "anna", PASSWORD)
    other_user = log_in(Client(REMOTE_ADDR="10.0.0.7"), "bo", PASSWORD)
    other_address = log_in(Client(REMOTE_ADDR="10.0.0.8"), "anna", PASSWORD)

    assert fifth.status_code == 429
    assert locked.status_code == 429
    assert "Inloggningen är tillfälligt spärrad" in locked.content.decode()
    assert "15 minuter" in locked.content.decode()
    assert other_user.status_code == 302
    assert other_address.status_code == 302


def test_lock_out_is_logged(anna, caplog):
    client = Client(REMOTE_ADDR="10.0.0.9")
    for _ in range(5):
        log_in(client, "anna", "fel-lösenord")
    assert any("Locking out" in record.getMessage() for record in caplog.records)


def test_login_gives_a_new_session_id(anna, client):
    session = client.session
    session["before_login"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key

    assert log_in(client, "anna", PASSWORD).status_code == 302

    assert client.cookies[settings.SESSION_COOKIE_NAME].value != session.session_key


def test_sessions_end_after_eight_hours_and_with_the_browser():
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_passwords_need_twelve_characters():
    with pytest.raises(ValidationError):
        validate_password("kort-ord-1!")
    validate_password("tolv-tecken-minst")


def test_logout_works_by_post_only(anna, client):
    client.force_login(anna)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302


def test_post_without_csrf_token_is_refused(anna):
    client = Client(enforce_csrf_checks=True)
    response = log_in(client, "anna", PASSWORD)
    assert response.status_code == 403
    assert "CSRF token missing" not in response.content.decode()


def test_security_headers_are_sent(anna, client):
    client.force_login(anna)
    response = client.get(reverse("login"), secure=True)

    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_plain_http_is_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("login"))
    assert response.status_code == 301
    assert response.url.startswith("https://")


def test_cookies_are_secure_without_debug():
    assert not settings.DEBUG
    assert settings.SESSION_COOKIE_SECURE
    assert settings.CSRF_COOKIE_SECURE


def test_deploy_check_is_clean_with_only_the_production_variables():
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="c9Vt3-uJq0Zr8sLw2pXb7nYk4eHd6aGm1fTy5oRi0UxEzWqNcBv",
        DJANGO_ALLOWED_HOSTS="plan.example.se",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_secret_key_production_refuses_to_start():
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="plan.example.se")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
