"""The plan pages' cached strategy sections: served from the cache, and never stale after a write.

Transactional tests: the cache's generation changes when a write commits, which the usual
test-wrapping transaction never does.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from klockaretorpet.personal_data import erase_name
from plans import tree_cache
from plans.models import Activity, Indicator
from tests.conftest import shown_activity_titles
from tests.factories import ActivityFactory, IndicatorFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(client, reader, make_activities):
    client.force_login(reader)
    plan, activities = make_activities(6)
    url = plan.declaration.get_absolute_url()
    client.get(url)
    return client, url, activities


def activity_queries(client, url) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    reads = [q["sql"] for q in queries if 'FROM "plans_activity"' in q["sql"]]
    return response.content.decode(), len(reads)


def test_a_second_reader_gets_the_sections_without_reading_activities(page):
    client, url, activities = page

    html, reads = activity_queries(client, url)

    assert reads == 0
    assert {activity.title for activity in activities} <= shown_activity_titles(client.get(url))
    assert "6 aktiviteter visas" in html


@pytest.mark.parametrize(
    ("edit", "shown"),
    [
        ("title", "Ny rubrik på aktiviteten"),
        ("organisation", "Omdöpt förvaltning"),
        ("co_organisation", "Nytillkommen partner"),
        ("strategy", "Omformulerad strategi"),
        ("new_activity", "Helt ny aktivitet"),
        ("deleted", None),
    ],
)
def test_every_committed_write_shows_on_the_next_request(page, edit, shown):
    client, url, activities = page
    activity = Activity.objects.get(pk=activities[0].pk)
    if edit == "title":
        activity.title = shown
        activity.save()
    elif edit == "organisation":
        organisation = activity.lead_organisation
        organisation.name = shown
        organisation.short_name = ""
        organisation.save()
    elif edit == "co_organisation":
        activity.co_organisations.add(OrganisationFactory(name=shown, short_name=""))
    elif edit == "strategy":
        strategy = activity.strategy
        strategy.title = shown
        strategy.save()
    elif edit == "new_activity":
        ActivityFactory(plan=activity.plan, strategy=activity.strategy, title=shown)
    elif edit == "deleted":
        gone = activity.title
        activity.delete()

    html, reads = activity_queries(client, url)

    assert reads > 0
    if shown:
        assert shown in html
    else:
        assert gone not in shown_activity_titles(client.get(url))


def test_an_indicator_that_completes_an_activity_updates_the_incomplete_count(page):
    client, url, activities = page
    Indicator.objects.filter(activity=activities[0]).delete()
    Activity.objects.filter(pk=activities[0].pk).update(measurability="")
    # update() sends no signal; the deletion above already started a new generation.
    assert "1 ofullständig" in client.get(url).content.decode()

    IndicatorFactory(activity=activities[0])

    assert "ofullständig" not in client.get(url).content.decode()


def test_a_write_rolled_back_with_its_savepoint_does_not_hide_a_later_one(page):
    client, url, activities = page
    with transaction.atomic():
        try:
            with transaction.atomic():
                Activity.objects.filter(pk=activities[1].pk).get().delete()
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        renamed = Activity.objects.get(pk=activities[0].pk)
        renamed.title = "Skrivet efter en återställd sparpunkt"
        renamed.save()

    assert "Skrivet efter en återställd sparpunkt" in client.get(url).content.decode()


def test_each_language_and_each_filter_has_its_own_rendering(page):
    client, url, activities = page
    client.post("/sprak/", {"language": "en", "next": url})

    english = client.get(url).content.decode()
    filtered = client.get(url, {"q": activities[2].title}).content.decode()

    assert "Schedule" in english
    assert "Tidplan" not in english
    assert "1 activity shown" in filtered


def test_an_erased_name_is_gone_from_the_cached_page_at_once(page):
    client, url, activities = page
    Activity.objects.filter(pk=activities[0].pk).update(responsible_unit="Kontakt: Greta Svensson")
    ActivityFactory(plan=activities[0].plan, strategy=activities[0].strategy)
    assert "Greta Svensson" in client.get(url).content.decode()

    erase_name(name="Greta Svensson", dry_run=False)

    assert "Greta Svensson" not in client.get(url).content.decode()


def test_a_transaction_of_many_writes_starts_one_generation(page, monkeypatch):
    _client, _url, activities = page
    started = []
    monkeypatch.setattr(tree_cache.PLAN_DATA, "_replace", lambda: started.append("new"))

    with transaction.atomic():
        for activity in Activity.objects.filter(pk__in=[a.pk for a in activities]):
            with transaction.atomic():  # as an import saves each row, in a savepoint of its own
                activity.title = f"{activity.title} (ändrad)"
                activity.save()

    assert started == ["new"]
