"""The plan pages' cached strategy sections: served from the cache, and never stale after a write.

Transactional tests: the cache's generation changes when a write commits, which the usual
test-wrapping transaction never does.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from klockaretorpet.generations import Generation
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
    # The status strip above the sections counts activities in the database on every view (a
    # handful of aggregates, whatever the plan's size); what the cache saves is reading the rows.
    reads = [
        q["sql"]
        for q in queries
        if 'FROM "plans_activity"' in q["sql"] and "COUNT(" not in q["sql"].upper()
    ]
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


@pytest.fixture
def rendered(monkeypatch):
    """The strategies whose section each request renders rather than reads from the cache."""
    strategies = []
    render = tree_cache.render_to_string

    def recording(template, context):
        strategies.append(context["strategy"].pk)
        return render(template, context)

    monkeypatch.setattr(tree_cache, "render_to_string", recording)
    return strategies


def test_editing_one_activity_renders_only_its_own_section_again(page, rendered):
    client, url, activities = page
    activity = Activity.objects.get(pk=activities[0].pk)
    activity.title = "Bara den här sektionen ritas om"
    activity.save()

    html = client.get(url).content.decode()

    assert rendered == [activity.strategy_id]
    assert "Bara den här sektionen ritas om" in html
    assert {a.title for a in activities[1:]} <= shown_activity_titles(client.get(url))


@pytest.mark.parametrize("edit", ["indicator", "co_organisation", "reverse_co_organisation"])
def test_an_activitys_indicators_and_organisations_touch_only_its_section(page, rendered, edit):
    client, url, activities = page
    activity = Activity.objects.get(pk=activities[1].pk)
    if edit == "indicator":
        indicator = activity.indicators.get()
        indicator.name = "Nytt namn"
        indicator.save()
    elif edit == "co_organisation":
        activity.co_organisations.add(OrganisationFactory(name="Ny partner", short_name=""))
    else:
        OrganisationFactory(name="Ny partner", short_name="").co_led_activities.add(activity)

    html = client.get(url).content.decode()

    assert rendered == [activity.strategy_id]
    if edit != "indicator":
        assert "Ny partner" in html


def test_moving_an_activity_renders_the_section_it_left_and_the_one_it_joined(page, rendered):
    client, url, activities = page
    activity = Activity.objects.get(pk=activities[0].pk)
    left, joined = activity.strategy_id, activities[1].strategy_id
    activity.strategy_id = joined
    activity.title = "Flyttad aktivitet"
    activity.save()

    html = client.get(url).content.decode()

    assert sorted(rendered) == sorted([left, joined])
    assert html.count("Flyttad aktivitet") == 1


def test_renaming_an_organisation_renders_every_section(page, rendered):
    client, url, activities = page
    organisation = Activity.objects.get(pk=activities[0].pk).lead_organisation
    organisation.name = "Omdöpt förvaltning"
    organisation.short_name = ""
    organisation.save()

    html = client.get(url).content.decode()

    assert len(rendered) == len({a.strategy_id for a in activities})
    assert "Omdöpt förvaltning" in html


def test_a_bulk_write_renders_every_section(page, rendered):
    client, url, activities = page
    Activity.objects.update(responsible_unit="Massuppdaterad enhet")
    tree_cache.new_generation()

    html = client.get(url).content.decode()

    assert len(rendered) == len({a.strategy_id for a in activities})
    # Long words carry soft hyphens where they may break (|hyphenate); a reader sees them whole.
    assert "Massuppdaterad enhet" in html.replace("&shy;", "")


def test_a_rolled_back_edit_renders_nothing_again(page, rendered):
    client, url, activities = page
    with transaction.atomic():
        activity = Activity.objects.get(pk=activities[0].pk)
        activity.title = "Återställd rubrik"
        activity.save()
        transaction.set_rollback(True)

    html = client.get(url).content.decode()

    assert rendered == []
    assert "Återställd rubrik" not in html


def test_a_transaction_that_wrote_renders_what_it_wrote_and_caches_nothing(page, rendered):
    client, url, activities = page
    with transaction.atomic():
        activity = Activity.objects.get(pk=activities[0].pk)
        activity.title = "Ännu inte sparad för andra"
        activity.save()
        assert "Ännu inte sparad för andra" in client.get(url).content.decode()
        rendered.clear()

    html = client.get(url).content.decode()

    assert rendered == [activity.strategy_id]
    assert "Ännu inte sparad för andra" in html


def test_a_generation_another_app_adds_renders_every_section_when_it_changes(
    page, rendered, monkeypatch
):
    client, url, activities = page
    monkeypatch.setattr(tree_cache, "_section_dependencies", [])
    closed_rounds = Generation("tests:closed-rounds", register=False)
    tree_cache.add_section_dependency(closed_rounds)
    client.get(url)
    rendered.clear()
    client.get(url)
    assert rendered == []

    with transaction.atomic():
        closed_rounds.bump()

    client.get(url)
    assert len(rendered) == len({a.strategy_id for a in activities})
