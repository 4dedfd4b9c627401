"""What the project's cross-cutting mechanisms need to know of the follow-up: who answers for a
report, what is frozen (closed rounds, their reports and every plan version), which changes the
audit page shows, and where a person's name may have been typed, snapshots included."""

from django.utils.translation import gettext as _

from klockaretorpet import audit, permissions, personal_data
from klockaretorpet.numbers import decimal_text

from .models import ActivityReview, ErasureRecord, FollowUp, IndicatorValue, PlanVersion
from .reports import forget_version_pdfs

# The labels of history records read the relations fetched with them; a relation whose row was
# deleted since (an indicator value's review) is None.


def follow_up_label(record) -> str:
    return _("Follow-up %(year)s of %(plan)s") % {"year": record.year, "plan": record.plan}


def review_label(record) -> str:
    activity = record.activity.reference_code if record.activity else ""
    return f"{activity} {record.follow_up or ''}".strip()


def indicator_value_label(record) -> str:
    review = record.review
    activity = review.activity.reference_code if review and review.activity else ""
    indicator = record.indicator.name if record.indicator else ""
    return f"{activity} {indicator}: {decimal_text(record.actual_value)}".strip()


def record_erasure(places_by_version: dict[int, int], user) -> None:
    """The one change a plan version gets is recorded on it, without the name; the PDFs rendered
    from it before are dropped."""
    versions = list(PlanVersion.objects.filter(pk__in=places_by_version))
    forget_version_pdfs(versions)
    ErasureRecord.objects.bulk_create(
        ErasureRecord(version=version, erased_by=user, places=places_by_version[version.pk])
        for version in versions
    )


def declare() -> None:
    permissions.declare_model(PlanVersion, never_writable=True, frozen=lambda version: True)
    permissions.declare_model(
        FollowUp, frozen=lambda follow_up: follow_up.pk is not None and not follow_up.is_open
    )
    permissions.declare_model(
        ActivityReview,
        answered_by=lambda review: review.activity,
        frozen=lambda review: review.follow_up_id is not None and not review.follow_up.is_open,
    )
    permissions.declare_model(
        IndicatorValue,
        answered_by=lambda value: value.review,
        frozen=lambda value: value.review_id is not None and permissions.is_frozen(value.review),
    )

    audit.declare_audited(FollowUp, label_relations=["plan"], label=follow_up_label)
    audit.declare_audited(
        ActivityReview, label_relations=["activity", "follow_up__plan"], label=review_label
    )
    audit.declare_audited(
        IndicatorValue,
        label_relations=["indicator", "review__activity"],
        label=indicator_value_label,
    )

    personal_data.declare_name_bearing_fields(FollowUp, ["summary"])
    personal_data.declare_name_bearing_fields(ActivityReview, ["done", "deviations", "next_step"])
    # A version's decision may name who decided; its note tells why a round closed.
    personal_data.declare_name_bearing_fields(PlanVersion, ["note", "decided_by"])
    personal_data.declare_name_bearing_json(PlanVersion, "snapshot", erased=record_erasure)
