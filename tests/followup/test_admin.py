"""The follow-up in the admin: rounds are closed from there, and a closed round's data cannot
be changed through any of its admin URLs, not even by a superuser."""

import datetime

import pytest
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
    # The change page still shows the round, read-only.
    page = admin_client.get(change).content.decode()
    assert "Klart" in page
    assert 'name="reviews-0-done"' not in page


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
