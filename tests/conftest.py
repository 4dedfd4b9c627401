import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from strategies.models import Strategy
from tests import system_packages
from tests.factories import (
    ActivityFactory,
    GoalFactory,
    IndicatorFactory,
    OrganisationFactory,
    PlanFactory,
    StrategyFactory,
)


def pytest_configure(config):
    system_packages.register(config)


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings):
    # Production uses WhiteNoise's manifest storage, which needs `collectstatic`; tests don't.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    # Production's cache is a database table that a transactional test's flush leaves alone; each
    # test gets an empty cache of its own instead, and no test needs the database just for it.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_default_language():
    # A request with the language cookie activates its language for the thread and leaves it
    # active; code outside requests (PDF reports, commands) would then speak the last test's.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def plan(db):
    return PlanFactory()


@pytest.fixture
def make_activities(db):
    """Create `count` activities spread over three strategies of one plan, with indicators."""

    def make(count, *, plan=None):
        plan = plan or PlanFactory()
        strategies = list(Strategy.objects.filter(goal__declaration=plan.declaration)[:3])
        if not strategies:
            goal = GoalFactory(declaration=plan.declaration)
            strategies = [StrategyFactory(goal=goal) for _ in range(3)]
        partner = OrganisationFactory()
        activities = []
        for index in range(count):
            activity = ActivityFactory(plan=plan, strategy=strategies[index % 3])
            activity.co_organisations.add(partner)
            IndicatorFactory(activity=activity)
            activities.append(activity)
        return plan, activities

    return make


@pytest.fixture
def reader(db, django_user_model):
    user = django_user_model.objects.create_user("lasare", password="lösenord-för-test")
    user.groups.add(Group.objects.get_or_create(name="Läsare")[0])
    return user


@pytest.fixture
def editor(db, django_user_model):
    user = django_user_model.objects.create_user(
        "redaktor", password="lösenord-för-test", is_staff=True
    )
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="plans",
            codename__in=["view_activity", "change_activity", "view_indicator", "change_indicator"],
        )
    )
    return user


def shown_activity_titles(response) -> set[str]:
    """The titles of the activity rows a plan page shows, as the reader sees them."""
    html = response.content.decode()
    return set(
        re.findall(
            r'<th scope="row" class="activity-title">\s*<a href="[^"]+"[^>]*>([^<]+)</a>', html
        )
    )


def count_queries(client, url) -> int:
    """Queries of one GET, after a first GET (the first request of a session loads it twice)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests last. Their live server lives for the whole session and, on SQLite, shares
    the in-memory database connection with its thread, which would disturb tests that start
    threads and connections of their own (tests/klockaretorpet/test_concurrency.py)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
