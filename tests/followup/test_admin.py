"""The follow-up in the admin: rounds are closed from there, and a closed round's data cannot
be changed through any of its admin URLs, not even by a superuser."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followup.models import ActivityReview, Assessment, FollowUp, FollowUpState, PlanVersion
from followup.rounds import close_round, write_revision
from plans.models import ActivityStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_round(make_activities, admin_user):
    plan, activities = make_activities(2)
    follow_up = FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))
    review = ActivityReview.objects.create(
        follow_up=follow_up,
        activity=activities[0],
        assessment=Assessment.ON_TRACK,
        done="Klart",
        new_status=ActivityStatus.DONE,
    )
    close_round(follow_up, user=admin_user, reason="En aktivitet rapporterades inte.")
    follow_up.refresh_from_db()
    return follow_up, review, activities


def test_a_closed_round_cannot_be_changed_through_any_admin_url(admin_client, closed_round):
    follow_up, review, activities = closed_round
    version = follow_up.version
    change = reverse("admin:followup_followup_change", args=[follow_up.pk])
    form = {
        "plan": follow_up.plan_id,
        "year": 2024,
        "deadline": "2026-02-28",
        "summary": "Ändrad i efterhand",
        "reviews-TOTAL_FORMS": "2",
        "reviews-INITIAL_FORMS": "1",
        "reviews-0-id": review.pk,
        "reviews-0-follow_up": follow_up.pk,
        "reviews-0-activity": activities[0].pk,
        "reviews-0-assessment": Assessment.SERIOUS_DEVIATION,
        "reviews-0-new_status": ActivityStatus.CANCELLED,
        "reviews-0-done": "Ändrad i efterhand",
        "reviews-0-deviations": "Ändrad",
        "reviews-0-version": review.version,
        "reviews-0-DELETE": "on",
        "reviews-1-follow_up": follow_up.pk,
        "reviews-1-activity": activities[1].pk,
        "reviews-1-assessment": Assessment.ON_TRACK,
        "reviews-1-new_status": ActivityStatus.DONE,
        "reviews-1-done": "Efterhandsrapport",
    }
    history = follow_up.history.first()
    attempts = [
        (change, form),
        (reverse("admin:followup_followup_delete", args=[follow_up.pk]), {"post": "yes"}),
        (
            reverse("admin:followup_followup_changelist"),
            {"action": "close_rounds", "_selected_action": [follow_up.pk]},
        ),
        (
            reverse("admin:followup_followup_changelist"),
            {"action": "delete_selected", "_selected_action": [follow_up.pk], "post": "yes"},
        ),
        (
            reverse("admin:followup_followup_simple_history", args=[follow_up.pk, history.pk]),
            form,
        ),
        (reverse("admin:followup_planversion_change", args=[version.pk]), {"note": "Ändrad"}),
        (reverse("admin:followup_planversion_delete", args=[version.pk]), {"post": "yes"}),
        (
            reverse("admin:followup_planversion_changelist"),
            {"action": "delete_selected", "_selected_action": [version.pk], "post": "yes"},
        ),
    ]

    for url, data in attempts:
        response = admin_client.post(url, data)
        assert response.status_code in (200, 302, 403), url

    stored = FollowUp.objects.get(pk=follow_up.pk)
    assert (stored.state, stored.year, stored.summary) == (FollowUpState.CLOSED, 2025, "")
    assert list(ActivityReview.objects.values_list("done", "assessment")) == [
        ("Klart", Assessment.ON_TRACK)
    ]
    assert PlanVersion.objects.get().note == "En aktivitet rapporterades inte."
    # The change page still shows the round, read-only, and leads to its reports.
    page = admin_client.get(change).content.decode()
    assert "1 av 2 aktiviteter rapporterade." in page
    assert f'href="{follow_up.get_absolute_url()}"' in page
    assert f'href="{version.get_absolute_url()}"' in page
    assert 'name="summary"' not in page


def test_open_rounds_are_closed_from_the_admin_list(admin_client, make_activities, admin_user):
    plan, activities = make_activities(1)
    follow_up = FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))
    write_revision(plan, user=admin_user)
    url = reverse("admin:followup_followup_changelist")
    action = {"action": "close_rounds", "_selected_action": [follow_up.pk]}

    refused = admin_client.post(url, action, follow=True)
    ActivityReview.objects.create(
        follow_up=follow_up,
        activity=activities[0],
        assessment=Assessment.ON_TRACK,
        done="Klart",
        new_status=ActivityStatus.DONE,
    )
    closed = admin_client.post(url, action, follow=True)

    assert activities[0].reference_code in refused.content.decode()
    assert "1 uppföljning stängd" in closed.content.decode()
    assert FollowUp.objects.get().state == FollowUpState.CLOSED
    assert PlanVersion.objects.get(follow_up=follow_up).number == 2


def test_a_rounds_change_page_keeps_its_own_fields_and_links_to_the_reports(
    admin_client, make_activities, admin_user
):
    plan, activities = make_activities(3)
    follow_up = FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))
    ActivityReview.objects.create(
        follow_up=follow_up,
        activity=activities[0],
        assessment=Assessment.DEVIATION,
        done="Halvvägs",
        new_status=ActivityStatus.ONGOING,
    )

    page = admin_client.get(reverse("admin:followup_followup_change", args=[follow_up.pk]))
    html = page.content.decode()

    assert page.status_code == 200
    assert 'name="summary"' in html
    assert 'name="deadline"' in html
    # Reports are written on the round's portal page, not in an inline form per activity.
    assert "reviews-TOTAL_FORMS" not in html
    assert "Halvvägs" not in html
    assert "1 av 3 aktiviteter rapporterade." in html
    for url in [
        follow_up.get_absolute_url(),
        reverse("followup:round-report", args=[follow_up.pk]),
        reverse("followup:round-export", args=[follow_up.pk]),
        reverse("followup:round-import", args=[follow_up.pk]),
    ]:
        assert f'href="{url}"' in html


def test_a_rounds_change_page_costs_the_same_queries_for_any_number_of_activities(
    admin_client, make_activities, django_assert_max_num_queries
):
    def round_with_reports(count: int, year: int) -> str:
        plan, activities = make_activities(count)
        follow_up = FollowUp.objects.create(
            plan=plan, year=year, deadline=datetime.date(year + 1, 1, 31)
        )
        for activity in activities:
            ActivityReview.objects.create(
                follow_up=follow_up,
                activity=activity,
                assessment=Assessment.ON_TRACK,
                done=f"Klart {activity.reference_code}",
                new_status=ActivityStatus.DONE,
            )
        url = reverse("admin:followup_followup_change", args=[follow_up.pk])
        admin_client.get(url)  # the session and the caches warm for both sizes alike
        return url

    few, many = round_with_reports(2, 2024), round_with_reports(40, 2025)
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(few).status_code == 200

    with django_assert_max_num_queries(len(queries)):
        assert admin_client.get(many).status_code == 200
