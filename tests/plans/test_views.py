import datetime

import pytest
from django.urls import reverse

from plans.models import ActivityStatus, ActivityType
from tests.conftest import count_queries, shown_activity_titles
from tests.factories import ActivityFactory, IndicatorFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(db):
    return ActivityFactory(
        title="Belysningsplan för centrum",
        planned_start=datetime.date(2024, 3, 1),
        planned_end=datetime.date(2025, 12, 1),
        schedule_note="",
        activity_type=ActivityType.INVESTMENT,
        responsible_unit="Park- och gatuenheten",
    )


def portal_urls(activity) -> list[str]:
    declaration = activity.plan.declaration
    return [
        reverse("strategies:home"),
        declaration.district.get_absolute_url(),
        declaration.get_absolute_url(),
        activity.strategy.goal.get_absolute_url(),
        activity.get_absolute_url(),
    ]


def test_anonymous_visitors_are_sent_to_login(client, activity):
    for url in portal_urls(activity):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url


def test_logged_in_staff_see_every_page(client, reader, activity):
    client.force_login(reader)
    for url in portal_urls(activity):
        assert client.get(url).status_code == 200, url


def test_unknown_declaration_goal_and_activity_are_404(client, reader, activity):
    client.force_login(reader)
    slug = activity.plan.declaration.slug
    assert client.get("/avsiktsforklaringar/finns-inte/").status_code == 404
    assert client.get(f"/avsiktsforklaringar/{slug}/malbilder/99/").status_code == 404
    assert client.get("/aktiviteter/999999/").status_code == 404


def test_login_page_is_swedish_and_logs_in(client, reader):
    page = client.get(reverse("login"))
    response = client.post(
        reverse("login"), {"username": "lasare", "password": "lösenord-för-test"}
    )

    assert "Logga in" in page.content.decode()
    assert response.status_code == 302
    assert client.get(reverse("strategies:home")).status_code == 200


def test_logout_needs_post(client, reader):
    client.force_login(reader)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("strategies:home")).status_code == 302


def test_declaration_page_shows_the_tree(client, reader, activity):
    client.force_login(reader)
    declaration = activity.plan.declaration

    html = client.get(declaration.get_absolute_url()).content.decode()

    assert declaration.vision in html
    assert activity.strategy.goal.title in html
    assert activity.strategy.title in html
    assert activity.reference_code in html
    assert "Belysningsplan för centrum" in html
    assert "mars 2024 – december 2025" in html
    assert "Längre sikt (investeringsmedel)" in html
    assert activity.lead_organisation.display_name in html
    assert "Planerad" in html


def test_declaration_page_marks_incomplete_activities(client, reader, activity):
    client.force_login(reader)
    ActivityFactory(plan=activity.plan, strategy=activity.strategy, incomplete=True)

    html = client.get(activity.plan.declaration.get_absolute_url()).content.decode()

    assert html.count('class="incomplete-marker"') == 2  # the summary and the one row
    assert "saknar tidplan, ansvar, mätbarhet, aktivitetstyp" in html


def test_declaration_page_filters_by_type_status_and_organisation(client, reader, activity):
    client.force_login(reader)
    other_org = OrganisationFactory(name="Polismyndigheten")
    other = ActivityFactory(
        plan=activity.plan,
        strategy=activity.strategy,
        title="Trygghetsvandring",
        activity_type=ActivityType.EXISTING_BUDGET,
        status=ActivityStatus.ONGOING,
        lead_organisation=other_org,
    )
    url = activity.plan.declaration.get_absolute_url()

    by_type = client.get(url, {"activity_type": ActivityType.INVESTMENT}).content.decode()
    by_status = client.get(url, {"status": ActivityStatus.ONGOING}).content.decode()
    by_org = client.get(url, {"lead_organisation": other_org.pk}).content.decode()
    nonsense = client.get(url, {"status": "påhittad"})

    assert activity.title in by_type
    assert other.title not in by_type
    assert other.title in by_status
    assert activity.title not in by_status
    assert other.title in by_org
    assert activity.title not in by_org
    assert nonsense.status_code == 200
    assert other.title in nonsense.content.decode()


def test_goal_page_shows_only_its_strategies(client, reader, activity):
    client.force_login(reader)
    elsewhere = ActivityFactory(plan=activity.plan, title="Annan målbilds aktivitet")

    html = client.get(activity.strategy.goal.get_absolute_url()).content.decode()

    assert activity.title in html
    assert elsewhere.title not in html


def test_activity_page_shows_every_field_and_indicator(client, reader, activity):
    client.force_login(reader)
    partner = OrganisationFactory(name="Hyresbostäder i Norrköping")
    activity.co_organisations.add(partner)
    IndicatorFactory(
        activity=activity,
        name="Andel trygga boende",
        unit="%",
        baseline_value="58.5",
        baseline_year=2022,
        target_value=70,
        target_year=2026,
    )

    html = client.get(activity.get_absolute_url()).content.decode()

    for expected in [
        activity.reference_code,
        "Belysningsplan för centrum",
        "Uppdrag på lite längre sikt som bedöms rimliga att äska/föreslå investeringsmedel för",
        "mars 2024 – december 2025",
        activity.lead_organisation.name,
        "Hyresbostäder i Norrköping",
        "Park- och gatuenheten",
        activity.measurability,
        "Andel trygga boende",
        "58,5 (2022)",
        "70 (2026)",
    ]:
        assert expected in html, expected


def test_activity_page_shows_who_changed_which_field(client, reader, activity, admin_user):
    client.force_login(reader)
    activity._history_user = admin_user
    activity.title = "Belysningsplan för centrum och torget"
    activity.planned_end = datetime.date(2026, 6, 1)
    activity.save()
    partner = OrganisationFactory(name="Polismyndigheten")
    activity.co_organisations.add(partner)

    response = client.get(activity.get_absolute_url())
    latest = response.context["history"][0]

    assert latest.user == admin_user
    assert {(change.label, change.old, change.new) for change in latest.changes} == {
        ("Rubrik", "Belysningsplan för centrum", "Belysningsplan för centrum och torget"),
        ("Planerat slut", "december 2025", "juni 2026"),
        ("Medansvariga organisationer", "–", "Polismyndigheten"),
    }
    html = response.content.decode()
    assert "juni 2026" in html
    assert "Ändrad" in html


@pytest.mark.parametrize("page", ["declaration", "goal", "activity"])
def test_page_queries_do_not_grow_with_activities(
    client, reader, make_activities, django_assert_max_num_queries, page
):
    client.force_login(reader)
    plan, activities = make_activities(10)
    url = {
        "declaration": plan.declaration.get_absolute_url(),
        "goal": activities[0].strategy.goal.get_absolute_url(),
        "activity": activities[0].get_absolute_url(),
    }[page]
    with_ten = count_queries(client, url)
    make_activities(190, plan=plan)

    with django_assert_max_num_queries(with_ten):
        response = client.get(url)
    if page != "activity":
        assert response.context["shown_count"] == 200


def test_filters_by_organisation_with_units_factor_goal_and_text_are_bookmarkable(
    client, reader, declaration
):
    from strategies.models import Membership, Organisation, ProgrammeGoal, SuccessFactor
    from tests.factories import ActivityFactory, OrganisationFactory

    plan = declaration.activity_plans.get()
    strategy = declaration.goals.get(position=1).strategies.get(position=1)
    kommun = Organisation.objects.get(name="Norrköpings kommun")
    unit = OrganisationFactory(name="Kultur- och fritidskontoret", parent=kommun)
    factor, goal = SuccessFactor.objects.first(), ProgrammeGoal.objects.first()
    by_unit = ActivityFactory(
        plan=plan, strategy=strategy, title="Lovaktiviteter", lead_organisation=unit
    )
    by_unit.success_factors.add(factor)
    co_led = ActivityFactory(plan=plan, strategy=strategy, title="Gemensam städdag")
    co_led.co_organisations.add(kommun)
    co_led.programme_goals.add(goal)
    ActivityFactory(plan=plan, strategy=strategy, title="Annan aktivitet")
    Membership.objects.create(user=reader, organisation=kommun)
    client.force_login(reader)
    url = declaration.get_absolute_url()

    def titles(**params):
        return shown_activity_titles(client.get(url, params))

    mine = titles(lead_organisation=kommun.pk)
    assert {"Lovaktiviteter", "Gemensam städdag"} <= mine
    assert "Annan aktivitet" not in mine
    assert titles(success_factor=factor.pk) == {"Lovaktiviteter"}
    assert titles(programme_goal=goal.pk) == {"Gemensam städdag"}
    assert titles(q="städdag") == {"Gemensam städdag"}
    page = client.get(url).content.decode()
    assert f'href="?lead_organisation={kommun.pk}"' in page
