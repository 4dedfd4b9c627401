"""The activity page's extension points (plans/activity_page.py): other apps add to the page
without the plans app knowing them."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

import plans
from plans import activity_page
from tests.factories import ActivityFactory, IndicatorFactory

pytestmark = pytest.mark.django_db


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_the_plans_app_imports_no_follow_up_module():
    # Dependencies point followup -> plans -> strategies; the page learns of the follow-up
    # only through the hooks the follow-up fills in when it is ready.
    offenders = {
        str(path.relative_to(Path(plans.__file__).parent)): module
        for path in Path(plans.__file__).parent.rglob("*.py")
        for module in imported_modules(path)
        if module == "followup" or module.startswith("followup.")
    }
    assert offenders == {}


@pytest.fixture
def bare_page(monkeypatch):
    """The activity page as the plans app alone renders it: no other app has added anything."""
    monkeypatch.setattr(activity_page, "ACTIVITY_SECTIONS", [])
    monkeypatch.setattr(activity_page, "_readings", [])


def english_page(user, activity) -> str:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    response = client.get(activity.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_without_extensions_the_page_shows_its_own_indicator_columns_only(reader, bare_page):
    activity = ActivityFactory()
    IndicatorFactory(activity=activity, name="Deltagare")

    html = english_page(reader, activity)

    assert "Deltagare" in html
    assert "Latest value" not in html
    assert 'id="uppfoljningar"' not in html
    assert html.index('id="indikatorer"') < html.index('id="historik"')


def test_sections_are_kept_in_position_order_and_added_once(monkeypatch):
    monkeypatch.setattr(activity_page, "ACTIVITY_SECTIONS", [])

    def context(request, activity):
        return {}

    later = activity_page.ActivitySection("later.html", context, position=20)
    first = activity_page.ActivitySection("first.html", context, position=10)
    activity_page.add_activity_section(later)
    activity_page.add_activity_section(first)
    # An app that is made ready twice (as in some test runs) adds nothing the second time.
    activity_page.add_activity_section(later)

    sections = activity_page.ACTIVITY_SECTIONS
    assert sections == [first, later]
