"""Production serving: request ids on responses and log lines, and gunicorn's configuration."""

import contextvars
import http.client
import logging
import os
import re
import runpy
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path, reverse
from gunicorn.config import Config

from klockaretorpet.request_id import RequestIdFilter, current_request_id
from tests.gunicorn_server import free_port, gunicorn_serving

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
LOG_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4}"

logger = logging.getLogger("plans.example")


@login_not_required
def logging_view(request):
    logger.info("working on it")
    return HttpResponse("ok")


# The portal's URLs too, which its 404 page links to.
urlpatterns = [path("loggar/", logging_view), path("", include("klockaretorpet.urls"))]


# --- request ids ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_response_carries_a_new_request_id():
    client = Client()

    first = client.get(reverse("healthz"))["X-Request-ID"]
    second = client.get(reverse("healthz"))["X-Request-ID"]

    assert GENERATED_ID.fullmatch(first)
    assert GENERATED_ID.fullmatch(second)
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["4f6c1e0a9b2d4c8e8a7b6c5d4e3f2a1b", "5b1f-lb.eu_1", "a" * 64])
def test_the_load_balancers_request_id_is_kept(incoming):
    response = Client().get(reverse("healthz"), headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] == incoming


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming",
    ["a" * 65, "abc def", "abc\n2025-01-01 ERROR forged line", "id;rm", "räksmörgås", ""],
    ids=["too-long", "space", "newline", "semicolon", "non-ascii", "empty"],
)
def test_an_odd_request_id_is_replaced(incoming):
    response = Client().get(reverse("healthz"), headers={"X-Request-ID": incoming})

    assert GENERATED_ID.fullmatch(response["X-Request-ID"])


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_log_records_of_a_request_carry_its_id(caplog):
    request_id = RequestIdFilter()
    caplog.handler.addFilter(request_id)
    client = Client()

    try:
        with caplog.at_level(logging.INFO):
            response = client.get("/loggar/", headers={"X-Request-ID": "lb-42"})
            # Django logs "Not Found" after the middleware has returned: the id is still there.
            not_found = client.get("/finns-inte/", headers={"X-Request-ID": "lb-43"})
            logger.info("between requests")
    finally:
        caplog.handler.removeFilter(request_id)

    ids = {record.getMessage(): record.request_id for record in caplog.records}
    assert response["X-Request-ID"] == "lb-42"
    assert not_found.status_code == 404
    assert ids["working on it"] == "lb-42"
    assert ids["Not Found: /finns-inte/"] == "lb-43"
    assert ids["between requests"] == "-"


def test_log_lines_show_time_level_logger_request_id_and_message():
    # The handler settings.LOGGING names "console".
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    record = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, "Hej", (), None)

    def inside_a_request():
        current_request_id.set("abc123")
        handler.filter(record)

    contextvars.copy_context().run(inside_a_request)

    assert re.fullmatch(
        f"{LOG_TIME} WARNING plans.example \\[abc123\\] Hej", handler.format(record)
    )
    assert settings.LOGGING["handlers"]["console"]["stream"] == "ext://sys.stdout"


# --- gunicorn.conf.py ----------------------------------------------------------------------

GUNICORN_ENV = [
    "GUNICORN_BIND",
    "GUNICORN_WORKERS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_MAX_REQUESTS_JITTER",
    "GUNICORN_FORWARDED_ALLOW_IPS",
    "GUNICORN_LOG_LEVEL",
    "GUNICORN_CONTROL_SOCKET",
]


def gunicorn_settings(monkeypatch, **env) -> dict:
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    config = gunicorn_settings(
        monkeypatch,
        GUNICORN_BIND="0.0.0.0:9000",
        GUNICORN_WORKERS="3",
        GUNICORN_TIMEOUT="300",
        GUNICORN_FORWARDED_ALLOW_IPS="10.0.0.5",
    )

    assert config["bind"] == "0.0.0.0:9000"
    assert (config["workers"], config["timeout"]) == (3, 300)
    assert config["forwarded_allow_ips"] == "10.0.0.5"


def test_gunicorn_defaults_suit_one_host_behind_a_proxy(monkeypatch):
    config = gunicorn_settings(monkeypatch)

    assert config["bind"] == "127.0.0.1:8000"
    assert 3 <= config["workers"] <= 8
    # One request per worker process: only then does the timeout cut a request off.
    assert config["worker_class"] == "sync"
    assert "threads" not in config
    # A 500-activity report takes ~20 s at worst.
    assert config["timeout"] >= 60
    assert config["graceful_timeout"] >= 30
    assert config["max_requests"] > 0
    assert config["max_requests_jitter"] > 0
    assert config["control_socket_disable"]


def test_gunicorn_knows_and_accepts_every_setting(monkeypatch):
    config = gunicorn_settings(monkeypatch, GUNICORN_CONTROL_SOCKET="/run/planportalen/ctl")
    gunicorn = Config()
    names = {
        name
        for name, value in config.items()
        if not name.startswith("__") and not callable(value) and name != "os"
    }

    assert names <= set(gunicorn.settings), names - set(gunicorn.settings)
    for name in names:
        gunicorn.set(name, config[name])  # each setting's validator
    assert gunicorn.control_socket == "/run/planportalen/ctl"


def test_gunicorns_log_lines_go_to_stdout_with_the_request_id(monkeypatch):
    """Gunicorn's own logging, configured from gunicorn.conf.py in a process of its own (it
    replaces the logging set-up of the process it runs in)."""
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    script = """
import datetime, runpy
from types import SimpleNamespace
from gunicorn.config import Config
from gunicorn.glogging import Logger

cfg = Config()
for name, value in runpy.run_path("gunicorn.conf.py").items():
    if name in cfg.settings:
        cfg.set(name, value)
log = Logger(cfg)
log.info("Booting worker")
response = SimpleNamespace(status="503 Service Unavailable", sent=1051,
                           headers=[("X-Request-ID", "lb-42")])
environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/plan/", "SERVER_PROTOCOL": "HTTP/1.1",
           "REMOTE_ADDR": "10.0.0.5", "HTTP_USER_AGENT": "curl/8"}
log.access(response, SimpleNamespace(headers=[]), environ, datetime.timedelta(milliseconds=84))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )

    lines = result.stdout.splitlines()
    assert result.stderr == ""
    assert re.fullmatch(f"{LOG_TIME} INFO gunicorn.error \\[-\\] Booting worker", lines[0])
    assert re.fullmatch(
        f'{LOG_TIME} INFO gunicorn.access \\[lb-42\\] 10.0.0.5 "GET /plan/ HTTP/1.1" 503 1051'
        ' 84ms "curl/8"',
        lines[1],
    )


# --- the timeout, end to end -----------------------------------------------------------------

TEST_TIMEOUT = 3


@pytest.fixture
def gunicorn_with_slow_views(tmp_path, monkeypatch):
    """Gunicorn as `make serve` starts it (gunicorn.conf.py, debug off), with one worker, a short
    timeout and the test-only URLs of tests/serving_urls.py. The views need no database."""
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.serving_settings",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_TIMEOUT": str(TEST_TIMEOUT),
    }
    log = tmp_path / "gunicorn.log"
    with gunicorn_serving(env, port, log):
        yield port, log


def http_get(port: int, path: str, timeout: float = 30) -> tuple[int, str]:
    """Status and body; status 0 when the server closed the connection without an answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return 0, ""
    except TimeoutError:
        return 0, "still running"
    finally:
        conn.close()


@pytest.mark.parametrize("how", ["waits", "computes"])
def test_gunicorn_cuts_a_long_request_off_at_the_timeout_and_serves_the_next(
    gunicorn_with_slow_views, how
):
    port, log = gunicorn_with_slow_views
    status, first_worker = http_get(port, "/test/worker-pid/")
    assert status == 200, log.read_text()

    started = time.monotonic()
    status, body = http_get(port, f"/test/slow/{how}/", timeout=TEST_TIMEOUT + 10)
    cut_off_after = time.monotonic() - started

    # The view would run for 60 s; the arbiter checks its workers about once a second.
    assert TEST_TIMEOUT <= cut_off_after < TEST_TIMEOUT + 5, (cut_off_after, log.read_text())
    assert (status, body) != (200, "finished")
    # The only worker was killed; a fresh one (which loads Django first) answers.
    status, next_worker = http_get(port, "/test/worker-pid/")
    assert status == 200, log.read_text()
    assert next_worker != first_worker
    assert http_get(port, "/healthz")[0] in {200, 503}
    lines = log.read_text()
    assert f"WORKER TIMEOUT (pid:{first_worker})" in lines, lines
