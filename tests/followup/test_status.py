"""The plan at a glance and an editor's tasks: the start page and the declaration page."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from followup.models import Assessment, FollowUp, FollowUpState
from followup.status import TASKS_LISTED, plan_status
from plans import tree_cache
from plans.models import ActivityStatus
from strategies.models import Membership
from tests.conftest import count_queries
from tests.factories import (
    ActivityFactory,
    ActivityReviewFactory,
    FollowUpFactory,
    OrganisationFactory,
    PlanFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 4)


def closed(follow_up: FollowUp) -> FollowUp:
    # Reports are written while the round is open; closing is what freezes them.
    FollowUp.objects.filter(pk=follow_up.pk).update(state=FollowUpState.CLOSED)
    follow_up.refresh_from_db()
    return follow_up


@pytest.fixture
def world(django_user_model):
    plan = PlanFactory(start_year=2024, end_year=2027, declaration__title="Klockaretorpet")
    hbn = OrganisationFactory(name="Hyresbostäder i Norrköping", short_name="Hyresbostäder")
    kommun = OrganisationFactory(name="Norrköpings kommun", short_name="Kommunen")
    unit = OrganisationFactory(name="Kultur- och fritidskontoret", short_name="", parent=kommun)
    on_time = {"planned_start": datetime.date(2025, 1, 1), "planned_end": datetime.date(2027, 6, 1)}
    late_end = {
        "planned_start": datetime.date(2024, 1, 1),
        "planned_end": datetime.date(2025, 6, 1),
    }
    activities = {
        "hbn_late": ActivityFactory(
            plan=plan, lead_organisation=hbn, status=ActivityStatus.ONGOING, **late_end
        ),
        "hbn_done": ActivityFactory(
            plan=plan, lead_organisation=hbn, status=ActivityStatus.DONE, **late_end
        ),
        "kommun_late": ActivityFactory(
            plan=plan, lead_organisation=unit, status=ActivityStatus.ONGOING, **late_end
        ),
        "kommun_with_hbn": ActivityFactory(
            plan=plan, lead_organisation=kommun, status=ActivityStatus.ONGOING, **on_time
        ),
        "hbn_incomplete": ActivityFactory(
            plan=plan,
            lead_organisation=hbn,
            status=ActivityStatus.ONGOING,
            measurability="",
            activity_type="",
            **on_time,
        ),
    }
    activities["kommun_with_hbn"].co_organisations.add(hbn)
    last_year = FollowUpFactory(plan=plan, year=2025)
    ActivityReviewFactory(follow_up=last_year, activity=activities["hbn_late"])
    ActivityReviewFactory(
        follow_up=last_year,
        activity=activities["kommun_late"],
        assessment=Assessment.DEVIATION,
        deviations="Försenad upphandling.",
    )
    closed(last_year)
    this_year = FollowUpFactory(plan=plan, year=2026, deadline=datetime.date(2027, 1, 31))
    ActivityReviewFactory(follow_up=this_year, activity=activities["hbn_done"])

    def person(username, group, organisation):
        user = django_user_model.objects.create_user(username, is_staff=group != "Läsare")
        user.groups.add(Group.objects.get(name=group))
        if organisation:
            Membership.objects.create(user=user, organisation=organisation)
        client = Client()
        client.force_login(user)
        return client

    return {
        "plan": plan,
        "hbn": hbn,
        "last_year": last_year,
        "this_year": this_year,
        **activities,
        "hbn_editor": person("hanna", "Redaktör", hbn),
        "reader": person("lasse", "Läsare", kommun),
        "admin": person("pia", "Planadministratör", kommun),
    }


def test_the_status_counts_statuses_late_incomplete_and_both_rounds(world):
    status = plan_status(world["plan"], today=TODAY)

    assert status.total == 5
    assert {tally.value: tally.count for tally in status.by_status} == {
        "planned": 0,
        "ongoing": 4,
        "done": 1,
        "paused": 0,
        "cancelled": 0,
    }
    # Done activities are never late; a unit's activity counts under the unit's own name.
    assert [(row.name, row.count) for row in status.late_by_organisation] == [
        ("Hyresbostäder", 1),
        ("Kultur- och fritidskontoret", 1),
    ]
    assert status.late == 2
    assert status.incomplete == 1
    # The assessments are the closed round's, not the open one's.
    assert status.closed_round == world["last_year"]
    assert {tally.value: tally.count for tally in status.by_assessment} == {
        "on_track": 1,
        "deviation": 1,
        "serious_deviation": 0,
        "not_reported": 3,
    }
    assert status.open_round == world["this_year"]
    assert (status.open_reported, status.open_unreported) == (1, 4)
    assert status.meeting_round == world["this_year"]


def test_a_plan_without_rounds_has_no_assessments_and_nothing_open(world):
    status = plan_status(PlanFactory(), today=TODAY)

    assert (status.total, status.closed_round, status.open_round) == (0, None, None)
    assert status.by_assessment == []


def test_the_start_page_shows_every_plans_status_and_links_the_late_per_organisation(world):
    html = world["reader"].get(reverse("strategies:home")).content.decode()

    declaration_url = world["plan"].declaration.get_absolute_url()
    assert "Klockaretorpet" in html
    assert "1 av 5 rapporterade, sista dag 31 januari" in html
    assert f'href="{declaration_url}?late=1"' in html
    # Hyresbostäder's late activities in one click from the start page.
    late_of_hbn = (
        f"{declaration_url}?late=1&amp;lead_organisation={world['hbn'].pk}"
        "&amp;organisation_role=lead"
    )
    assert f'href="{late_of_hbn}"' in html
    assert reverse("followup:round-report", args=[world["this_year"].pk]) in html
    # Readers answer for nothing: no tasks.
    assert "Mina uppgifter" not in html


def test_an_editor_sees_the_unreported_late_and_incomplete_activities_of_their_organisation(world):
    html = world["hbn_editor"].get(reverse("strategies:home")).content.decode()

    tasks = html.split('id="mina-uppgifter"')[1].split("</section>")[0]
    this_year = world["this_year"].pk

    def report_link(name):
        return reverse("followup:review-edit", args=[this_year, world[name].pk])

    assert "3 aktiviteter att rapportera i uppföljning 2026, sista dag 31 januari 2027" in tasks
    # Lead or co-responsible: the kommun's activity shared with Hyresbostäder is theirs to report.
    for name in ("hbn_late", "kommun_with_hbn", "hbn_incomplete"):
        assert report_link(name) in tasks
    # Reported already, or another organisation's alone.
    assert report_link("hbn_done") not in tasks
    assert report_link("kommun_late") not in tasks
    assert "1 försenad aktivitet" in tasks
    assert world["hbn_late"].get_absolute_url() in tasks
    assert "1 ofullständig aktivitet" in tasks


def test_an_editor_with_many_tasks_gets_the_first_few_and_a_link_to_the_rest(world):
    for _ in range(TASKS_LISTED + 3):
        ActivityFactory(plan=world["plan"], lead_organisation=world["hbn"])

    html = world["hbn_editor"].get(reverse("strategies:home")).content.decode()

    tasks = html.split('id="mina-uppgifter"')[1].split("</section>")[0]
    assert "11 aktiviteter att rapportera" in tasks
    report_links = f"/uppfoljningar/{world['this_year'].pk}/aktiviteter/"
    assert tasks.count(report_links) == TASKS_LISTED
    assert "och 6 till" in tasks
    assert reverse("followup:round-detail", args=[world["this_year"].pk]) in tasks


@pytest.mark.parametrize("who", ["hbn_editor", "admin"])
def test_the_start_page_queries_do_not_grow_with_activities(
    world, who, django_assert_max_num_queries
):
    client = world[who]
    url = reverse("strategies:home")
    for _ in range(5):
        ActivityFactory(plan=world["plan"], lead_organisation=world["hbn"])
    with_ten = count_queries(client, url)
    for _ in range(190):
        activity = ActivityFactory(plan=world["plan"], lead_organisation=world["hbn"])
        activity.co_organisations.add(world["hbn"])

    with django_assert_max_num_queries(with_ten):
        assert client.get(url).status_code == 200


def test_the_declaration_page_shows_each_activitys_latest_closed_assessment(world):
    url = world["plan"].declaration.get_absolute_url()

    html = world["reader"].get(url).content.decode()

    # Last year's closed round, not this year's open one (where hbn_done is reported).
    assert ">Avvikelse<" in assessment_cell(html, world["kommun_late"])
    assert "2025" in assessment_cell(html, world["kommun_late"])
    assert "badge" not in assessment_cell(html, world["hbn_done"])


def assessment_cell(html: str, activity) -> str:
    row = html.split(f'<td class="code">{activity.reference_code}</td>')[1].split("</tr>")[0]
    return row.split('data-label="Senaste bedömning"')[1].split("</td>")[0]


@pytest.mark.django_db(transaction=True)
def test_closing_a_round_shows_in_the_cached_sections_and_a_report_does_not_render_them(
    client, reader, make_activities, monkeypatch
):
    client.force_login(reader)
    plan, activities = make_activities(3)
    url = plan.declaration.get_absolute_url()
    follow_up = FollowUpFactory(plan=plan, year=2026)
    client.get(url)
    rendered = []
    render = tree_cache.render_to_string
    monkeypatch.setattr(
        tree_cache, "render_to_string", lambda *a, **k: rendered.append(1) or render(*a, **k)
    )

    # A report in the open round is preliminary: the plan's sections stay as they were.
    ActivityReviewFactory(follow_up=follow_up, activity=activities[0])
    html = client.get(url).content.decode()
    assert rendered == []
    assert "badge" not in assessment_cell(html, activities[0])

    follow_up.state = FollowUpState.CLOSED
    follow_up.save()
    html = client.get(url).content.decode()

    assert rendered
    assert ">Enligt plan<" in assessment_cell(html, activities[0])
