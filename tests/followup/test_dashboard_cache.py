"""The overview's counted and listed part, cached: served without reading the activities, never
stale after a committed write, and never with another reader's own parts.

Transactional tests: the cache's generations change when a write commits, which the usual
test-wrapping transaction never does.
"""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followup.models import Assessment, FollowUp, FollowUpState
from plans.models import Activity
from strategies.models import Membership
from tests.factories import ActivityReviewFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def overview(client, reader, make_activities):
    client.force_login(reader)
    plan, activities = make_activities(6)
    address = reverse("followup:dashboard", args=[plan.declaration.slug])
    client.post("/sprak/", {"language": "en", "next": address})
    client.get(address)
    return client, address, plan, activities


def activity_reads(client, address) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    reads = [q["sql"] for q in queries if 'FROM "plans_activity"' in q["sql"]]
    return response.content.decode(), len(reads)


def test_a_second_view_reads_no_activity(overview):
    client, address, _plan, activities = overview

    html, reads = activity_reads(client, address)

    assert reads == 0
    assert activities[0].reference_code in html


def test_an_edited_activity_shows_on_the_next_view(overview):
    client, address, _plan, activities = overview
    activity = Activity.objects.get(pk=activities[0].pk)
    activity.measurability = ""
    activity.save()
    activity.indicators.all().delete()

    html, reads = activity_reads(client, address)

    assert reads > 0
    assert f"{activity.reference_code}</td>" in html.split('id="ofullstandiga"')[1]


def test_a_closed_rounds_report_shows_on_the_next_view(overview):
    client, address, plan, activities = overview
    follow_up = FollowUp.objects.create(
        plan=plan, year=plan.start_year, deadline=datetime.date(plan.start_year + 1, 1, 31)
    )
    ActivityReviewFactory(
        follow_up=follow_up, activity=activities[0], assessment=Assessment.ON_TRACK
    )
    follow_up.state = FollowUpState.CLOSED
    follow_up.save()

    html, reads = activity_reads(client, address)

    assert reads > 0
    assert "1 of 6 reported" in html


def test_a_rolled_back_write_leaves_the_cached_page(overview):
    client, address, _plan, activities = overview
    with transaction.atomic():
        activity = Activity.objects.get(pk=activities[0].pk)
        activity.title = "Återställd"
        activity.save()
        transaction.set_rollback(True)

    html, reads = activity_reads(client, address)

    assert reads == 0
    assert "Återställd" not in html


def test_each_reader_gets_their_own_organisation_link_from_a_cached_page(
    overview, django_user_model, client
):
    first_client, address, _plan, _activities = overview
    other = django_user_model.objects.create_user("annan-lasare")
    other.groups.set(first_client.get(address).wsgi_request.user.groups.all())
    organisation = OrganisationFactory(name="Egen förvaltning", short_name="")
    Membership.objects.create(user=other, organisation=organisation)
    first_client.get(address)
    other_client = type(first_client)()
    other_client.force_login(other)
    other_client.post("/sprak/", {"language": "en", "next": address})

    mine = other_client.get(address).content.decode()
    theirs = first_client.get(address).content.decode()

    assert f"?lead_organisation={organisation.pk}" in mine
    assert f"?lead_organisation={organisation.pk}" not in theirs


def test_the_round_choice_and_the_filters_each_have_their_own_rendering(overview):
    client, address, plan, activities = overview
    FollowUp.objects.create(
        plan=plan, year=plan.start_year, deadline=datetime.date(plan.start_year + 1, 1, 31)
    )
    client.get(address)

    preliminary = client.get(address, {"round": "open"})
    filtered = client.get(address, {"q": activities[2].title})

    assert b"Preliminary figures" in preliminary.content
    assert b"Preliminary figures" not in client.get(address).content
    assert filtered.context["activity_count"] == 1
    assert client.get(address).context["activity_count"] == 6
