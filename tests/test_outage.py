"""A database outage: every page answers 503 in Swedish with Retry-After and no technical detail,
/healthz answers 503, and the portal recovers by itself once the database answers again."""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import selectors
import shutil
import socket
import threading
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import InterfaceError, OperationalError, connection, connections
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import reverse

from klockaretorpet.views import RETRY_AFTER_SECONDS, server_error
from tests.factories import PlanFactory
from tests.gunicorn_server import free_port, gunicorn_serving
from tests.klockaretorpet.test_error_pages import in_swedish
from tests.klockaretorpet.test_permissions import CASES, PLAN_ADMIN, published_declaration_url
from tests.klockaretorpet.test_permissions import (
    world as world,  # the fixture, with every URL's objects
)

pytestmark = pytest.mark.django_db

# What the driver would say; it names the server, so it must never reach the page.
DRIVER_MESSAGE = "connection to server at 10.9.8.7, port 5432 failed: Connection refused"
HEADING = "The portal is temporarily unavailable"
# Text that would give away a traceback, an exception or SQL.
TECHNICAL = ["Traceback", "OperationalError", "InterfaceError", "10.9.8.7", "SELECT", "psycopg"]
# The language switch only sets a cookie and redirects: it never needs the database.
NEEDS_NO_DATABASE = {"set_language"}


def refuse_to_connect():
    raise OperationalError(DRIVER_MESSAGE)


def lose_the_connection(cursor, sql, params=None):
    raise OperationalError(f"consuming input failed: {DRIVER_MESSAGE}")


@contextlib.contextmanager
def database_unreachable(monkeypatch, how: str):
    """The database as the app sees it when the server is gone: either no connection can be
    opened, or the open one fails at the next query."""
    with monkeypatch.context() as patch:
        if how == "connect":
            patch.setattr(connections["default"], "ensure_connection", refuse_to_connect)
        else:
            patch.setattr(CursorWrapper, "execute", lose_the_connection)
        yield


def assert_unavailable_page(response, *, language="sv"):
    body = response.content.decode()
    assert response.status_code == 503, response.status_code
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    assert f'<html lang="{language}">' in body
    assert f"<h1>{in_language(HEADING, language)}</h1>" in body
    for detail in TECHNICAL:
        assert detail not in body, detail


def in_language(msgid: str, language: str) -> str:
    return in_swedish(msgid) if language == "sv" else msgid


@pytest.mark.parametrize("how", ["connect", "query"])
def test_every_page_answers_503_in_swedish_while_the_database_is_unreachable(
    world, monkeypatch, how
):
    client = world["clients"][PLAN_ADMIN]
    client.raise_request_exception = False
    # Built while the database answers: some URLs need an object's key or publish it first.
    urls = sorted(
        {case.url(world) for case in CASES if case.key not in NEEDS_NO_DATABASE}
        | {reverse("login"), reverse("accessibility")}
    )
    declaration_page = world["objects"]["hbn_activity"].plan.declaration.get_absolute_url()

    with database_unreachable(monkeypatch, how):
        for url in urls:
            for method in (client.get, client.post):
                response = method(url)
                try:
                    assert_unavailable_page(response)
                    assert response.has_header("X-Request-ID")
                except AssertionError as error:
                    raise AssertionError(f"{method.__name__.upper()} {url}: {error}") from error
        # As the load balancer asks: without a session, so the view itself answers.
        health = Client().get(reverse("healthz"))

    assert health.status_code == 503
    assert health.json()["database"] == "down"
    # Nothing to restart: the next request after the outage is served.
    assert client.get(declaration_page).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200


def test_the_public_page_and_logging_in_answer_503_too(world, monkeypatch):
    client = Client(raise_request_exception=False)
    public_url = published_declaration_url(world, "followup:public-declaration")
    assert client.get(public_url).status_code == 200

    with database_unreachable(monkeypatch, "connect"):
        public_page = client.get(public_url)
        login = client.post(reverse("login"), {"username": "reader", "password": "x" * 12})

    assert_unavailable_page(public_page)
    assert_unavailable_page(login)


def test_the_page_is_in_english_after_the_language_switch(world, monkeypatch):
    client = world["clients"][PLAN_ADMIN]
    client.raise_request_exception = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    with database_unreachable(monkeypatch, "connect"):
        response = client.get(reverse("strategies:home"))

    assert_unavailable_page(response, language="en")
    assert response["Content-Language"] == "en"


def test_the_outage_is_logged_with_the_exception_but_never_shown(world, monkeypatch, caplog):
    client = world["clients"][PLAN_ADMIN]
    client.raise_request_exception = False

    with database_unreachable(monkeypatch, "connect"):
        response = client.get(reverse("strategies:home"))

    assert_unavailable_page(response)
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].name == "django.request"
    assert errors[0].exc_info[0] is OperationalError
    assert DRIVER_MESSAGE in caplog.text


def use_a_closed_connection():
    raise InterfaceError("connection already closed")


def fail_because_the_database_did():
    try:
        raise OperationalError(DRIVER_MESSAGE)
    except OperationalError as cause:
        raise RuntimeError("the plan tree could not be read") from cause


@pytest.mark.parametrize("fail", [use_a_closed_connection, fail_because_the_database_did])
def test_errors_that_mean_the_connection_is_gone_get_the_503_page(rf, fail):
    try:
        fail()
    except Exception:
        response = server_error(rf.get("/"))

    assert_unavailable_page(response)


def test_other_errors_still_get_the_server_error_page(rf):
    try:
        raise RuntimeError("secret detail from /srv/klockaretorpet/settings.py")
    except RuntimeError:
        response = server_error(rf.get("/"))

    body = response.content.decode()
    assert response.status_code == 500
    assert "Något gick fel" in body
    assert "Retry-After" not in response
    assert "secret detail" not in body


def test_the_unavailable_page_renders_without_the_database(monkeypatch, rf):
    with database_unreachable(monkeypatch, "connect"):
        try:
            raise OperationalError(DRIVER_MESSAGE)
        except OperationalError:
            response = server_error(rf.get("/"))

    assert_unavailable_page(response)
    assert 'href="/static/css/portal.css"' in response.content.decode()


# --- end to end: gunicorn, PostgreSQL behind a proxy the test can cut ----------------------


class TcpProxy:
    """Relays connections from a local port to the database server. `stop()` closes the listener
    and every relayed connection, as a database host that went away; `start()` listens on the same
    port again."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = free_port()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.setblocking(False)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._relay, args=(listener,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._thread.join(timeout=5)
            self._thread = None

    def _accept(self, listener, selector, peers) -> None:
        try:
            client, _address = listener.accept()
        except BlockingIOError:
            return
        client.setblocking(True)
        try:
            server = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        peers[client], peers[server] = server, client
        selector.register(client, selectors.EVENT_READ)
        selector.register(server, selectors.EVENT_READ)

    def _relay(self, listener: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        peers: dict[socket.socket, socket.socket] = {}

        def close_pair(sock):
            for end in (sock, peers.pop(sock, None)):
                if end is not None:
                    peers.pop(end, None)
                    selector.unregister(end)
                    end.close()

        try:
            while not self._stopping.is_set():
                for key, _events in selector.select(timeout=0.05):
                    sock = key.fileobj
                    if sock is listener:
                        self._accept(listener, selector, peers)
                        continue
                    if sock not in peers:
                        continue
                    try:
                        data = sock.recv(65536)
                        if data:
                            peers[sock].sendall(data)
                            continue
                    except OSError:
                        pass
                    close_pair(sock)
        finally:
            for sock in list(peers):
                sock.close()
            selector.close()
            listener.close()


class Portal:
    """A gunicorn serving the portal, spoken to over plain HTTP."""

    def __init__(self, port: int, cookie: str):
        self.port = port
        self.cookie = cookie

    def get(self, path: str, *, logged_in=True) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Cookie": self.cookie} if logged_in else {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()


@pytest.fixture
def postgresql(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the app server and the test share the test database")


@pytest.fixture
def proxy(postgresql):
    database = connection.settings_dict
    relay = TcpProxy((database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)))
    relay.start()
    yield relay
    relay.stop()


@pytest.fixture
def gunicorn(proxy, tmp_path):
    """Gunicorn as `make serve` starts it, with one worker, its database behind the proxy."""
    database = connection.settings_dict
    user = quote(database["USER"] or "", safe="")
    password = quote(database["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    port = free_port()
    # No collectstatic (it takes seconds): with the sources as STATIC_ROOT and no manifest, the
    # storage hashes each file as a page links it.
    static_root = tmp_path / "static"
    shutil.copytree(settings.BASE_DIR / "static", static_root)
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_CONN_MAX_AGE": "60",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DATABASE_URL": (
            f"postgres://{credentials}127.0.0.1:{proxy.port}/{quote(database['NAME'], safe='')}"
        ),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
    }
    log = tmp_path / "gunicorn.log"
    with gunicorn_serving(env, port, log):
        yield port, log


def test_gunicorn_answers_503_during_an_outage_and_recovers_without_a_restart(
    gunicorn, proxy, django_user_model
):
    port, log = gunicorn
    plan = PlanFactory()
    user = django_user_model.objects.create_user("lasare-drift", password="x" * 16)
    user.groups.add(Group.objects.get_or_create(name="Läsare")[0])
    browser = Client()
    browser.force_login(user)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    portal = Portal(port, f"{settings.SESSION_COOKIE_NAME}={session}")
    declaration_page = plan.declaration.get_absolute_url()

    def assert_served(step):
        status, _headers, body = portal.get(declaration_page)
        assert status == 200, (step, body[:500], log.read_text()[-3000:])
        assert plan.declaration.title in body, step
        assert portal.get("/healthz", logged_in=False)[0] == 200, step

    assert_served("before the outage")

    proxy.stop()
    status, headers, body = portal.get(declaration_page)
    health, _headers, health_body = portal.get("/healthz", logged_in=False)
    assert status == 503, log.read_text()[-3000:]
    assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert f"<h1>{in_swedish(HEADING)}</h1>" in body
    for detail in ["Traceback", "OperationalError", "psycopg", str(proxy.port)]:
        assert detail not in body, detail
    assert health == 503
    assert '"database": "down"' in health_body

    proxy.start()
    assert_served("after the database came back")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchall(), "the app server held no connection to terminate"
    assert_served("after its connections were terminated")

    # The 503 was logged once at ERROR with the request's id, which the access log names too.
    request_id = headers["X-Request-ID"]
    lines = [line for line in log.read_text().splitlines() if f"[{request_id}]" in line]
    assert [line for line in lines if " ERROR django.request " in line], lines
    assert len([line for line in lines if " ERROR " in line]) == 1, lines
    assert [line for line in lines if " gunicorn.access " in line and '" 503 ' in line], lines
