"""The follow-up cycle: open → reports → close → version; immutability, numbering and diffs."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from followup.models import (
    ActivityReview,
    Assessment,
    FollowUp,
    FollowUpState,
    ImmutableError,
    IndicatorValue,
    PlanVersion,
    VersionKind,
)
from followup.rounds import UnreportedActivities, close_round, save_review, write_revision
from followup.snapshots import SCHEMA, diff_snapshots
from klockaretorpet.concurrency import StaleObjectError
from plans.models import Activity, ActivityStatus
from tests.factories import (
    ActivityFactory,
    ActivityReviewFactory,
    IndicatorFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("planadmin", first_name="Pia", last_name="Plan")


@pytest.fixture
def round_(make_activities):
    plan, activities = make_activities(3)
    return FollowUp.objects.create(
        plan=plan, year=2025, deadline=datetime.date(2026, 1, 31)
    ), activities


def report(follow_up, activity, user, **fields):
    return ActivityReviewFactory(
        follow_up=follow_up, activity=activity, user=user, every_indicator=Decimal("61.5"), **fields
    )


def test_a_round_runs_from_reports_to_a_numbered_version(round_, user):
    follow_up, activities = round_
    for activity in activities:
        report(follow_up, activity, user)

    version = close_round(follow_up, user=user)

    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.CLOSED
    assert follow_up.closed_by == user
    assert (version.number, version.kind, version.follow_up) == (
        1,
        VersionKind.FOLLOW_UP,
        follow_up,
    )
    snapshot = version.snapshot
    assert snapshot["schema"] == SCHEMA
    assert snapshot["follow_up"]["year"] == 2025
    assert [a["code"] for a in snapshot["activities"]] == sorted(
        (a.reference_code for a in activities), key=lambda code: [int(p) for p in code.split(".")]
    )
    first = snapshot["activities"][0]
    assert first["review"]["assessment_label"] == "enligt plan"
    assert first["review"]["reviewed_by"] == "Pia Plan"
    assert first["indicators"][0]["actual_value"] == "61.5"
    # The reported status became the activity's own.
    assert set(Activity.objects.values_list("status", flat=True)) == {ActivityStatus.ONGOING}
    assert write_revision(follow_up.plan, user=user, decided_by="Styrgruppen").number == 2


def test_closing_with_unreported_activities_is_refused_with_the_list(round_, user):
    follow_up, activities = round_
    report(follow_up, activities[0], user)

    with pytest.raises(UnreportedActivities) as refused:
        close_round(follow_up, user=user)

    assert refused.value.activities == sorted(
        activities[1:], key=lambda a: (a.code_prefix, a.code_serial)
    )
    assert activities[1].reference_code in refused.value.messages[0]
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpState.OPEN
    assert not PlanVersion.objects.exists()


def test_closing_anyway_keeps_the_reason_in_the_version(round_, user):
    follow_up, activities = round_
    report(follow_up, activities[0], user)

    version = close_round(follow_up, user=user, reason="Två aktiviteter avslutades i våras.")

    assert version.note == "Två aktiviteter avslutades i våras."
    assert [a["review"] is None for a in version.snapshot["activities"]].count(True) == 2


def test_a_closed_round_its_reports_and_versions_cannot_be_changed(round_, user):
    follow_up, activities = round_
    review = report(follow_up, activities[0], user)
    value = review.indicator_values.get()
    version = close_round(follow_up, user=user, reason="Test")
    follow_up.refresh_from_db()
    review.refresh_from_db()

    follow_up.summary = "Ändrad efteråt"
    review.done = "Ändrad efteråt"
    value.actual_value = 1
    version.note = "Ändrad efteråt"
    for attempt in (
        follow_up.save,
        follow_up.delete,
        review.save,
        review.delete,
        value.save,
        value.delete,
        version.save,
        version.delete,
    ):
        with pytest.raises(ImmutableError):
            attempt()
    with pytest.raises(ImmutableError):
        report(follow_up, activities[1], user)
    with pytest.raises(ImmutableError):
        close_round(follow_up, user=user, reason="igen")
    assert FollowUp.objects.get().summary == ""
    assert ActivityReview.objects.get().done == "Genomfört enligt plan."
    assert IndicatorValue.objects.get().actual_value == Decimal("61.5")
    assert PlanVersion.objects.get().note == "Test"


def test_a_report_saved_from_a_stale_form_is_refused_naming_who(round_, user, django_user_model):
    follow_up, activities = round_
    first = report(follow_up, activities[0], user)
    colleague = django_user_model.objects.create_user("kollega", first_name="Karin")
    stale = ActivityReview.objects.get(pk=first.pk)
    fresh = ActivityReview.objects.get(pk=first.pk)
    fresh.done = "Karins text"
    save_review(fresh, actual_values={}, user=colleague)

    stale.done = "Pias text"
    with pytest.raises(StaleObjectError) as refused:
        save_review(stale, actual_values={}, user=user)

    assert "Karin" in str(refused.value)
    assert ActivityReview.objects.get().done == "Karins text"


def test_deviations_need_an_explanation(round_, user):
    follow_up, activities = round_
    review = ActivityReview(
        follow_up=follow_up,
        activity=activities[0],
        assessment=Assessment.SERIOUS_DEVIATION,
        done="Lite",
        new_status=ActivityStatus.PAUSED,
    )
    with pytest.raises(ValidationError) as invalid:
        review.full_clean()
    assert "deviations" in invalid.value.message_dict


def test_version_numbers_count_per_plan(round_, user, make_activities):
    follow_up, _activities = round_
    other_plan, _ = make_activities(1)

    numbers = [
        write_revision(follow_up.plan, user=user).number,
        write_revision(other_plan, user=user).number,
        write_revision(follow_up.plan, user=user).number,
    ]

    assert numbers == [1, 1, 2]


def test_diff_names_added_removed_and_changed_fields(round_, user):
    follow_up, activities = round_
    older = write_revision(follow_up.plan, user=user)
    moved, removed = activities[0], activities[1]
    moved.title = "Ny rubrik"
    moved.lead_organisation = OrganisationFactory(name="Polismyndigheten")
    moved.save()
    IndicatorFactory(activity=moved, name="Nya besökare")
    added = ActivityFactory(plan=follow_up.plan, strategy=moved.strategy, title="Läxhjälp")
    removed.indicators.all().delete()
    removed.delete()

    diff = diff_snapshots(older.snapshot, write_revision(follow_up.plan, user=user).snapshot)

    assert [a["code"] for a in diff.added] == [added.reference_code]
    assert [a["code"] for a in diff.removed] == [removed.reference_code]
    [(activity, changes)] = diff.changed
    assert activity["code"] == moved.reference_code
    by_field = {change.field: change for change in changes}
    assert set(by_field) == {"title", "lead_organisation", "indicators"}
    assert by_field["title"].after == "Ny rubrik"
    assert by_field["lead_organisation"].after == "Polismyndigheten"


def test_an_actual_value_alone_is_not_a_change_to_the_plan(round_, user):
    follow_up, activities = round_
    older = write_revision(follow_up.plan, user=user)
    for activity in activities:
        report(follow_up, activity, user, new_status=ActivityStatus.PLANNED)

    newer = close_round(follow_up, user=user)

    assert diff_snapshots(older.snapshot, newer.snapshot).is_empty
