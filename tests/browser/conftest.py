"""Playwright driving Debian's Chromium against pytest-django's live server.

No browser is downloaded: Playwright 1.64.1 (built for Chromium 156) drives the `chromium` of
Debian's package on PATH, which `make test` installs when it can; without it these tests are
skipped and named at the end of the run (tests/system_packages.py; with CI=true, a failure).
A failing test leaves a screenshot of the page in `test-artifacts/`.
"""

import importlib
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

CHROMIUM = shutil.which("chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
DEMO_PASSWORD = "demo-klockaretorpet"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def playwright_browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the tests' own database calls
    # are still synchronous, so Django's guard against ORM calls from async code must step aside.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    runner = sync_playwright().start()
    browser = runner.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield browser
    browser.close()
    runner.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def recreate_roles() -> None:
    """The role groups come from data migrations, which a transactional test's flush empties."""
    from django.apps import apps

    importlib.import_module("plans.migrations.0003_roles").create_roles(apps, None)
    importlib.import_module("followup.migrations.0002_roles").grant(apps, None)


@pytest.fixture
def demo(transactional_db, settings):
    """The Klockaretorpet plan with the demo users, activities and follow-up rounds."""
    recreate_roles()
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.DEBUG = False
    return get_user_model().objects.order_by("username")


@pytest.fixture
def page(playwright_browser, live_server, request):
    context = playwright_browser.new_context(
        locale="sv-SE", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(page.base + "/konto/login/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(lambda url: "/konto/login/" not in url)
