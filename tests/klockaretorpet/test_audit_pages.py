"""“Senaste ändringar” shows the changes of every history-tracked model, follow-up included,
with the same filters."""

import datetime
from decimal import Decimal
from html import escape

import pytest
from django.urls import reverse
from simple_history.models import registered_models

from followup.models import ActivityReview, Assessment, FollowUp, IndicatorValue
from followup.rounds import save_review
from klockaretorpet.audit import AUDITED
from plans.models import ActivityStatus
from strategies.models import Membership
from tests.factories import ActivityFactory, IndicatorFactory, OrganisationFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_admin(django_user_model):
    return django_user_model.objects.create_superuser("pia", password="ett-långt-lösenord")


def report_once(user, *, summary="Ett lugnt år."):
    plan = PlanFactory(start_year=2024, end_year=2028)
    activity = ActivityFactory(plan=plan, title="Läxhjälp på biblioteket")
    indicator = IndicatorFactory(activity=activity, name="Elever som kommer")
    follow_up = FollowUp(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))
    follow_up._history_user = user
    follow_up.save()
    follow_up.summary = summary
    follow_up._history_user = user
    follow_up.save()
    save_review(
        ActivityReview(
            follow_up=follow_up,
            activity=activity,
            assessment=Assessment.ON_TRACK,
            done="Varje tisdag.",
            new_status=ActivityStatus.ONGOING,
        ),
        actual_values={indicator: Decimal("41.50")},
        user=user,
    )
    return follow_up, activity, indicator


def test_every_history_tracked_model_is_audited():
    # Many-to-many links are shown as changes of the object that holds them.
    tracked = {model for model in registered_models.values() if not model._meta.auto_created}
    assert tracked <= set(AUDITED)


def test_follow_up_changes_appear_with_their_model_and_object(client, plan_admin):
    follow_up, activity, _indicator = report_once(plan_admin)
    assert IndicatorValue.history.exists()
    client.force_login(plan_admin)

    # Soft hyphens (|hyphenate) show only at a line break.
    html = client.get(reverse("audit:recent-changes")).content.decode().replace("&shy;", "")

    for model_label, object_label in [
        ("Uppföljning", str(follow_up)),
        ("Aktivitetsrapport", f"{activity.reference_code} {follow_up}"),
        ("Indikatorvärde", f"{activity.reference_code} Elever som kommer: 41,5"),
    ]:
        assert model_label in html
        assert escape(object_label) in html, object_label


def test_follow_up_changes_are_filtered_by_user_and_organisation(client, plan_admin, editor):
    organisation = OrganisationFactory()
    Membership.objects.create(user=editor, organisation=organisation)
    report_once(editor)
    client.force_login(plan_admin)
    url = reverse("audit:recent-changes")

    by_org = client.get(url, {"organisation": organisation.pk}).context["rows"]
    by_admin = client.get(url, {"user": plan_admin.pk}).context["rows"]

    assert {row.model for row in by_org} >= {FollowUp, ActivityReview, IndicatorValue}
    assert not {row.model for row in by_admin} & {FollowUp, ActivityReview, IndicatorValue}
