import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
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


# --- lock-outs per client behind the reverse proxy --------------------------------------------

PROXY = "10.0.0.1"
CLIENT_IP_SETTINGS = [
    "AXES_IPWARE_META_PRECEDENCE_ORDER",
    "AXES_IPWARE_PROXY_COUNT",
    "IPWARE_STRICT",
]


def client_address_settings(monkeypatch, proxy_count: str | None) -> dict:
    """The settings through which axes finds the client's address, as settings.py makes them from
    DJANGO_PROXY_COUNT."""
    if proxy_count is None:
        monkeypatch.delenv("DJANGO_PROXY_COUNT", raising=False)
    else:
        monkeypatch.setenv("DJANGO_PROXY_COUNT", proxy_count)
    namespace = runpy.run_path(str(settings.BASE_DIR / "klockaretorpet" / "settings.py"))
    return {name: namespace[name] for name in CLIENT_IP_SETTINGS if name in namespace}


@pytest.fixture
def behind_one_proxy(monkeypatch):
    with override_settings(**client_address_settings(monkeypatch, "1")):
        yield


@pytest.fixture
def without_proxy(monkeypatch):
    with override_settings(**client_address_settings(monkeypatch, None)):
        yield


def through_the_proxy(sent_by_client: str, client_address: str) -> Client:
    """A browser at `client_address` whose requests reach the app through the proxy, which
    appends the address it was connected from to whatever X-Forwarded-For the browser sent."""
    forwarded_for = f"{sent_by_client}, {client_address}" if sent_by_client else client_address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def fail_five_times(client_for_attempt) -> list[int]:
    return [
        log_in(client_for_attempt(attempt), "anna", "fel-lösenord").status_code
        for attempt in range(5)
    ]


@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_the_proxy_one_clients_failures_never_lock_out_another(anna):
    statuses = fail_five_times(lambda _attempt: through_the_proxy("", "10.1.0.7"))

    locked = log_in(through_the_proxy("", "10.1.0.7"), "anna", PASSWORD)
    colleague = log_in(through_the_proxy("", "10.1.0.8"), "anna", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert colleague.status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.1.0.7"]


@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_the_proxy_an_address_the_client_forges_is_not_believed(anna):
    # Each attempt claims another address, the last one the colleague's: all count as the
    # attacker's own, whose address the proxy appended.
    forged = ["203.0.113.1", "203.0.113.2, 198.51.100.9", "garbage", "10.1.0.8", "10.1.0.8"]
    statuses = fail_five_times(lambda attempt: through_the_proxy(forged[attempt], "10.1.0.7"))

    still_locked = log_in(through_the_proxy("10.1.0.9", "10.1.0.7"), "anna", PASSWORD)
    colleague = log_in(through_the_proxy("", "10.1.0.8"), "anna", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]
    assert still_locked.status_code == 429
    assert colleague.status_code == 302


@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_the_proxy_requests_that_bypass_it_share_one_lock_out(anna):
    statuses = fail_five_times(lambda _attempt: Client(REMOTE_ADDR="10.0.0.99"))

    bypassing = log_in(Client(REMOTE_ADDR="10.0.0.98"), "anna", PASSWORD)
    proxied = log_in(through_the_proxy("", "10.1.0.7"), "anna", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]
    assert bypassing.status_code == 429
    assert proxied.status_code == 302


@pytest.mark.usefixtures("without_proxy")
def test_without_a_proxy_x_forwarded_for_changes_nothing(anna):
    def attacker(attempt):
        return Client(REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")

    statuses = fail_five_times(attacker)
    # Neither a new forged address nor the victim's own unlocks the attacker ...
    forging = [
        log_in(Client(REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR=forged), "anna", PASSWORD)
        for forged in ("198.51.100.1", "10.0.0.8")
    ]
    # ... and the victim, whose address the attacker claimed, is not locked out.
    victim = log_in(Client(REMOTE_ADDR="10.0.0.8"), "anna", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]
    assert [response.status_code for response in forging] == [429, 429]
    assert victim.status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.7"]


@pytest.mark.parametrize(
    ("proxy_count", "forwarded_for", "expected"),
    [
        (None, "", "10.0.0.1"),
        ("0", "10.1.0.7", "10.0.0.1"),
        ("1", "10.1.0.7", "10.1.0.7"),
        ("1", "203.0.113.5, 10.1.0.7", "10.1.0.7"),
        # A load balancer in front of the proxy on the app's host: it appended the client, the
        # proxy appended the load balancer.
        ("2", "203.0.113.5, 10.1.0.7, 10.0.0.2", "10.1.0.7"),
        ("2", "10.1.0.7, 10.0.0.2", "10.1.0.7"),
    ],
)
def test_the_client_address_is_the_proxy_counts_entry_from_the_right(
    rf, monkeypatch, proxy_count, forwarded_for, expected
):
    meta = {"REMOTE_ADDR": PROXY}
    if forwarded_for:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = rf.post(reverse("login"), **meta)

    with override_settings(**client_address_settings(monkeypatch, proxy_count)):
        assert get_client_ip_address(request) == expected


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
        cwd=Path(__file__).resolve().parents[2],
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
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY är inte satt" in result.stderr
