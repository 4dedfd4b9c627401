"""“Senaste ändringar” beyond its first 100 rows: each older page starts where the previous one
ended, so no change is lost or shown twice, even when a bulk import gave thousands of rows one
timestamp or changes are made while someone pages."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.utils import bulk_create_with_history

from klockaretorpet.audit import AUDITED, PAGE_SIZE
from plans.models import Activity, Indicator
from tests.factories import ActivityFactory, IndicatorFactory

pytestmark = pytest.mark.django_db

ONE_MOMENT = datetime.datetime(2026, 3, 2, 8, 30, tzinfo=datetime.UTC)


@pytest.fixture
def plan_admin(django_user_model):
    return django_user_model.objects.create_superuser("pia", password="ett-långt-lösenord")


def two_models_at_one_moment(user, *, each: int) -> set[tuple[str, int]]:
    """`each` history rows of activities and `each` of indicators, all by `user` at one
    moment, as a bulk import leaves them; every other history row is the system's, at the same
    moment. Returns the (model, history id) of the rows `user` made."""
    activity = ActivityFactory()
    for number in range(each - 1):
        activity.title = f"Rubrik {number}"
        activity._history_user = user
        activity.save()
    bulk_create_with_history(
        IndicatorFactory.build_batch(each, activity=activity),
        Indicator,
        default_user=user,
        default_date=ONE_MOMENT,
    )
    for model in AUDITED:
        model.history.update(history_date=ONE_MOMENT)
    Activity.history.update(history_user=user)
    return {("plans.activity", pk) for pk in Activity.history.values_list("pk", flat=True)} | {
        ("plans.indicator", pk) for pk in Indicator.history.values_list("pk", flat=True)
    }


def every_audited_row() -> set[tuple[str, int]]:
    return {
        (model._meta.label_lower, pk)
        for model in AUDITED
        for pk in model.history.values_list("pk", flat=True)
    }


def shown_keys(response) -> list[tuple[str, int]]:
    rows = response.context["rows"]
    return [(row.model._meta.label_lower, row.record.history_id) for row in rows]


def walk(client, params: dict) -> list:
    """Every page from the newest, following “Older changes”."""
    pages = [client.get(reverse("audit:recent-changes"), params)]
    while pages[-1].context["older_url"]:
        assert len(pages) < 50, "paging never ends"
        pages.append(client.get(reverse("audit:recent-changes") + pages[-1].context["older_url"]))
    return pages


def test_rows_sharing_one_timestamp_page_through_exactly_once(client, plan_admin):
    two_models_at_one_moment(plan_admin, each=125)
    everything = every_audited_row()
    assert len(everything) > 2 * PAGE_SIZE
    client.force_login(plan_admin)

    pages = walk(client, {})

    shown = [key for page in pages for key in shown_keys(page)]
    assert len(shown) == len(set(shown))
    assert set(shown) == everything
    assert all(len(page.context["rows"]) == PAGE_SIZE for page in pages[:-1])
    second = client.get(reverse("audit:recent-changes") + pages[0].context["older_url"])
    html = second.content.decode()
    assert "Äldre ändringar" in html
    assert "Senaste ändringarna" in html


def test_older_pages_keep_the_filters(client, plan_admin):
    mine = two_models_at_one_moment(plan_admin, each=125)
    client.force_login(plan_admin)
    today = ONE_MOMENT.date().isoformat()
    params = {"user": plan_admin.pk, "since": today, "until": today}

    pages = walk(client, params)

    assert [len(page.context["rows"]) for page in pages] == [100, 100, 50]
    shown = [key for page in pages for key in shown_keys(page)]
    assert len(shown) == len(set(shown)) == 250
    assert set(shown) == mine
    for page in pages[:-1]:
        query = parse_qs(urlsplit(page.context["older_url"]).query)
        assert query["user"] == [str(plan_admin.pk)]
        assert query["since"] == query["until"] == [today]


def test_changes_made_while_paging_do_not_shift_the_older_pages(client, plan_admin):
    mine = two_models_at_one_moment(plan_admin, each=125)
    client.force_login(plan_admin)
    first = client.get(reverse("audit:recent-changes"), {"user": plan_admin.pk})
    activity = Activity.objects.get()
    for number in range(30):
        activity.title = f"Under tiden {number}"
        activity._history_user = plan_admin
        activity.save()

    second = client.get(reverse("audit:recent-changes") + first.context["older_url"])
    third = client.get(reverse("audit:recent-changes") + second.context["older_url"])

    shown = shown_keys(first) + shown_keys(second) + shown_keys(third)
    assert len(shown) == len(set(shown)) == 250
    assert set(shown) == mine
    assert third.context["older_url"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        "2026-03-02T08:30:00+00:00~plans.activity",
        "2026-03-02T08:30:00~plans.activity~12",
        "2026-03-02T08:30:00+00:00~auth.user~12",
        "2026-03-02T08:30:00+00:00~plans.activity~-1",
        "2026-03-02T08:30:00+00:00~plans.activity~99999999999999999999999",
        "0001-01-01T00:00:00+14:00~plans.activity~1",
        "9999-12-31T23:59:59-14:00~plans.activity~1",
        "2026-13-40T08:30:00+00:00~plans.activity~1",
        "",
    ],
)
def test_a_tampered_cursor_shows_the_newest_page_with_a_message(client, plan_admin, cursor):
    ActivityFactory()
    client.force_login(plan_admin)
    newest = client.get(reverse("audit:recent-changes"))

    response = client.get(reverse("audit:recent-changes"), {"before": cursor})

    assert response.status_code == 400
    assert "Länken till äldre ändringar är inte giltig" in response.content.decode()
    assert shown_keys(response) == shown_keys(newest)


def test_an_older_page_costs_the_same_queries_however_many_rows(
    client, plan_admin, django_assert_max_num_queries
):
    client.force_login(plan_admin)
    few = two_models_at_one_moment(plan_admin, each=10)
    url = reverse("audit:recent-changes")
    cursor = f"?before=2026-03-02T08:30:00%2B00:00~plans.indicator~{max(pk for _m, pk in few) + 1}"
    client.get(url + cursor)
    with CaptureQueriesContext(connection) as counted:
        client.get(url + cursor)
    two_models_at_one_moment(plan_admin, each=200)

    with django_assert_max_num_queries(len(counted)):
        response = client.get(url + cursor)
    assert response.context["older_url"]
