"""The follow-up cycle's writes: reporting an activity, closing a round, adopting a revision.

Each runs in one transaction with the plan row locked, so two admins closing at once, or a
revision written while a round closes, cannot give two versions the same number.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from klockaretorpet.concurrency import StaleObjectError
from plans.models import Activity, ActivityPlan, Indicator

from .models import (
    ActivityReview,
    FollowUp,
    FollowUpState,
    ImmutableError,
    IndicatorValue,
    PlanVersion,
    VersionKind,
)
from .snapshots import plan_snapshot


class UnreportedActivities(ValidationError):
    """Closing was asked for while activities are still unreported, and no reason was given."""

    def __init__(self, activities: list[Activity]):
        self.activities = activities
        listed = ", ".join(f"{a.reference_code} {a.title}" for a in activities[:20])
        if len(activities) > 20:
            listed += ", …"
        super().__init__(
            _(
                "%(count)d activities have not been reported: %(listed)s. Wait for their "
                "reports, or close anyway and give the reason."
            )
            % {"count": len(activities), "listed": listed},
            code="unreported",
        )


def unreported_activities(follow_up: FollowUp):
    return (
        follow_up.plan.activities.exclude(reviews__follow_up=follow_up)
        .select_related("lead_organisation")
        .in_code_order()
    )


@transaction.atomic
def save_review(
    review: ActivityReview, *, actual_values: dict[Indicator, Decimal | None], user
) -> ActivityReview:
    """Store a report and its indicator values; the activity takes the reported status.

    Raises `klockaretorpet.concurrency.StaleObjectError` when someone saved the report after
    this copy was read, and `ImmutableError` when the round has been closed meanwhile."""
    follow_up = FollowUp.objects.select_for_update().get(pk=review.follow_up_id)
    if follow_up.state != FollowUpState.OPEN:
        raise ImmutableError(_("The follow-up is closed; its reports can no longer be changed."))
    if review.pk is None:
        # Two people reporting the same activity at once: the second learns who was first.
        first = ActivityReview.objects.filter(
            follow_up_id=review.follow_up_id, activity_id=review.activity_id
        ).first()
        if first is not None:
            raise StaleObjectError(first)
    review.reviewed_by = user
    review._history_user = user
    review.save()
    stored = {value.indicator_id: value for value in review.indicator_values.all()}
    for indicator, actual in actual_values.items():
        value = stored.get(indicator.pk) or IndicatorValue(review=review, indicator=indicator)
        if value.pk and value.actual_value == actual:
            continue
        value.actual_value = actual
        value._history_user = user
        value.save()
    activity = Activity.objects.select_for_update().get(pk=review.activity_id)
    if activity.status != review.new_status:
        activity.status = review.new_status
        activity._history_user = user
        activity.save(update_fields=["status", "updated_at"])
    return review


@transaction.atomic
def close_round(follow_up: FollowUp, *, user, reason: str = "") -> PlanVersion:
    """Close the round and freeze the plan as a version. Refused while activities are
    unreported, unless a reason is given (it is kept in the version)."""
    plan = ActivityPlan.objects.lock(follow_up.plan_id)
    current = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if current.state != FollowUpState.OPEN:
        raise ImmutableError(_("The follow-up is already closed."))
    missing = list(unreported_activities(current))
    if missing and not reason.strip():
        raise UnreportedActivities(missing)
    version = _write_version(
        plan,
        kind=VersionKind.FOLLOW_UP,
        follow_up=current,
        user=user,
        note=reason.strip(),
    )
    current.state = FollowUpState.CLOSED
    current.closed_at = timezone.now()
    current.closed_by = user
    current._history_user = user
    current.save()
    follow_up.refresh_from_db()
    return version


@transaction.atomic
def write_revision(
    plan: ActivityPlan,
    *,
    user,
    decided_by: str = "",
    decision_date=None,
    decision_reference: str = "",
    note: str = "",
) -> PlanVersion:
    """Freeze the plan as it is now, as a revision adopted by the given decision."""
    locked = ActivityPlan.objects.lock(plan.pk)
    return _write_version(
        locked,
        kind=VersionKind.REVISION,
        user=user,
        decided_by=decided_by,
        decision_date=decision_date,
        decision_reference=decision_reference,
        note=note,
    )


def _write_version(plan: ActivityPlan, *, kind, user, follow_up=None, **decision) -> PlanVersion:
    # The caller holds the plan row's lock: the number cannot be taken twice.
    highest = plan.versions.aggregate(highest=Max("number"))["highest"] or 0
    return PlanVersion.objects.create(
        plan=plan,
        number=highest + 1,
        kind=kind,
        follow_up=follow_up,
        created_by=user,
        snapshot=plan_snapshot(plan, follow_up=follow_up),
        **decision,
    )
