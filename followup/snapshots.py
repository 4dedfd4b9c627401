"""A plan as one JSON document, and the differences between two of them.

A PlanVersion keeps everything a report needs as it was — labels, organisation names, the
round's reviews — so a version prints the same years later whatever has been edited since.
The document carries a `schema` number, and what it freezes does not depend on the language of
the session that wrote it: choices as values, labels in the plan's language. Stored snapshots
are read through `followup.versions.load_snapshot`, which upgrades older schemas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation

from klockaretorpet.numbers import decimal_text
from plans.models import Activity, ActivityPlan, ActivityStatus, ActivityType, Indicator

from .versions import PLAN_LANGUAGE, SCHEMA, choice_label, load_snapshot

# The activity fields a version diff compares, in the order a reader expects them.
COMPARED_FIELDS = (
    "title",
    "strategy",
    "description",
    "activity_type",
    "lead_organisation",
    "co_organisations",
    "responsible_unit",
    "planned_start",
    "planned_end",
    "schedule_note",
    "measurability",
    "indicators",
    "status",
    "success_factors",
    "programme_goals",
)


def plan_snapshot(plan: ActivityPlan, *, follow_up=None) -> dict[str, Any]:
    """The plan as it is now, with the round's reviews when a round is given. A fixed number of
    queries whatever the plan's size. The same whatever the active language: labels are
    written in the plan's."""
    with translation.override(PLAN_LANGUAGE):
        return _plan_snapshot(plan, follow_up=follow_up)


def _plan_snapshot(plan: ActivityPlan, follow_up) -> dict[str, Any]:
    declaration = plan.declaration
    goals = list(declaration.goals.order_by("position").prefetch_related("strategies"))
    activities = list(
        plan.activities.select_related("strategy__goal", "lead_organisation")
        .prefetch_related(
            "co_organisations",
            "success_factors",
            "programme_goals",
            "indicators",
        )
        .in_code_order()
    )
    reviews = {}
    if follow_up is not None:
        reviews = {
            review.activity_id: review
            for review in follow_up.reviews.select_related("reviewed_by").prefetch_related(
                "indicator_values"
            )
        }
    return {
        "schema": SCHEMA,
        "language": PLAN_LANGUAGE,
        "taken_at": timezone.now().isoformat(),
        "declaration": {
            "slug": declaration.slug,
            "title": declaration.title,
            "district": declaration.district.name,
            "adopted_on": _iso(declaration.adopted_on),
            "partners": [partner.name for partner in declaration.partners.all()],
            "introduction": declaration.introduction,
            "vision": declaration.vision,
            "goals_introduction": declaration.goals_introduction,
        },
        "plan": {"name": plan.name, "period": plan.period_label, "status": plan.status},
        "follow_up": None
        if follow_up is None
        else {
            "year": follow_up.year,
            "meeting_date": _iso(follow_up.meeting_date),
            "deadline": _iso(follow_up.deadline),
            "summary": follow_up.summary,
        },
        "goals": [
            {
                "position": goal.position,
                "title": goal.title,
                "description": goal.description,
                "strategies": [
                    {"number": s.number, "title": s.title, "description": s.description}
                    for s in sorted(goal.strategies.all(), key=lambda s: s.position)
                ],
            }
            for goal in goals
        ],
        "activities": [_activity(activity, reviews.get(activity.pk)) for activity in activities],
    }


def _activity(activity: Activity, review) -> dict[str, Any]:
    values = {}
    if review is not None:
        values = {value.indicator_id: value.actual_value for value in review.indicator_values.all()}
    return {
        "code": activity.reference_code,
        "goal": activity.strategy.goal.position,
        "strategy": activity.strategy.number,
        "strategy_title": activity.strategy.title,
        "title": activity.title,
        "description": activity.description,
        "activity_type": activity.activity_type,
        "activity_type_label": str(ActivityType(activity.activity_type).label)
        if activity.activity_type
        else "",
        "lead_organisation": activity.lead_organisation.name if activity.lead_organisation else "",
        "co_organisations": sorted(org.name for org in activity.co_organisations.all()),
        "responsible_unit": activity.responsible_unit,
        "planned_start": _month(activity.planned_start),
        "planned_end": _month(activity.planned_end),
        "schedule_note": activity.schedule_note,
        "schedule_label": activity.schedule_label,
        "measurability": activity.measurability,
        "status": activity.status,
        "status_label": str(ActivityStatus(activity.status).label),
        "success_factors": [item.title for item in activity.success_factors.all()],
        "programme_goals": [item.title for item in activity.programme_goals.all()],
        "indicators": [
            {
                "name": indicator.name,
                "unit": indicator.unit,
                "baseline_value": _number(indicator.baseline_value),
                "baseline_year": indicator.baseline_year,
                "target_value": _number(indicator.target_value),
                "target_year": indicator.target_year,
                "higher_is_better": indicator.higher_is_better,
                "kolada_kpi": indicator.kolada_kpi,
                "actual_value": _number(values.get(indicator.pk)),
            }
            for indicator in activity.indicators.all()
        ],
        "created_at": activity.created_at.isoformat(),
        "updated_at": activity.updated_at.isoformat(),
        "review": None if review is None else _review(review),
    }


def _review(review) -> dict[str, Any]:
    user = review.reviewed_by
    return {
        "assessment": review.assessment,
        "assessment_label": str(review.get_assessment_display()),
        "new_status_label": str(review.get_new_status_display()),
        "done": review.done,
        "deviations": review.deviations,
        "next_step": review.next_step,
        "new_status": review.new_status,
        "reviewed_by": (user.get_full_name() or user.get_username()) if user else "",
        "reviewed_at": review.reviewed_at.isoformat(),
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _month(value) -> str | None:
    return value.strftime("%Y-%m") if value else None


def _number(value: Decimal | None) -> str | None:
    # As text: JSON numbers would turn 58.50 into a binary float.
    return None if value is None else format(value.normalize(), "f")


# --- differences --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any
    # For a choice: the labels the two versions froze, shown for a value the code no longer has.
    before_label: str = ""
    after_label: str = ""


@dataclass
class VersionDiff:
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    # (activity as it is in the newer version, its changed fields)
    changed: list[tuple[dict, list[FieldChange]]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def readable_changes(self) -> list[tuple[dict, list[tuple[str, str, str]]]]:
        """(activity, [(field label, before, after)]) as the version page and the report show
        them."""
        return [
            (
                activity,
                [
                    (
                        str(FIELD_LABELS[c.field]),
                        readable(c.field, c.before, c.before_label),
                        readable(c.field, c.after, c.after_label),
                    )
                    for c in changes
                ],
            )
            for activity, changes in self.changed
        ]


def diff_snapshots(older: dict, newer: dict) -> VersionDiff:
    """Activities added, removed and changed field by field, matched on reference code (codes
    are never reused, so a code means the same activity in every version). Either snapshot may
    be of an older schema; choices are compared by value, whatever language labelled them."""
    before = {activity["code"]: activity for activity in load_snapshot(older)["activities"]}
    after = {activity["code"]: activity for activity in load_snapshot(newer)["activities"]}
    result = VersionDiff()
    for code, activity in after.items():
        if code not in before:
            result.added.append(activity)
            continue
        changes = [
            FieldChange(
                name,
                before[code].get(name),
                activity.get(name),
                before[code].get(f"{name}_label", ""),
                activity.get(f"{name}_label", ""),
            )
            for name in COMPARED_FIELDS
            if _comparable(name, before[code]) != _comparable(name, activity)
        ]
        if changes:
            result.changed.append((activity, changes))
    result.removed = [activity for code, activity in before.items() if code not in after]
    return result


def _comparable(name: str, activity: dict):
    value = activity.get(name)
    if name == "indicators":
        # This year's actual value is the round's, not a change to the plan.
        return [{k: v for k, v in item.items() if k != "actual_value"} for item in value or []]
    return value


# --- showing differences ------------------------------------------------------------------

FIELD_LABELS = {
    "title": Activity._meta.get_field("title").verbose_name,
    "strategy": Activity._meta.get_field("strategy").verbose_name,
    "description": Activity._meta.get_field("description").verbose_name,
    "activity_type": Activity._meta.get_field("activity_type").verbose_name,
    "lead_organisation": Activity._meta.get_field("lead_organisation").verbose_name,
    "co_organisations": Activity._meta.get_field("co_organisations").verbose_name,
    "responsible_unit": Activity._meta.get_field("responsible_unit").verbose_name,
    "planned_start": Activity._meta.get_field("planned_start").verbose_name,
    "planned_end": Activity._meta.get_field("planned_end").verbose_name,
    "schedule_note": Activity._meta.get_field("schedule_note").verbose_name,
    "measurability": Activity._meta.get_field("measurability").verbose_name,
    "indicators": Indicator._meta.verbose_name_plural,
    "status": Activity._meta.get_field("status").verbose_name,
    "success_factors": Activity._meta.get_field("success_factors").verbose_name,
    "programme_goals": Activity._meta.get_field("programme_goals").verbose_name,
}


def readable(name: str, value, frozen_label: str = "") -> str:
    """A snapshot value as a line of text for the diff, a choice's label in the active
    language."""
    if value in (None, "", []):
        return "–"
    if name == "status":
        return choice_label(ActivityStatus, value, frozen_label)
    if name == "activity_type":
        return choice_label(ActivityType, value, frozen_label)
    if name == "indicators":
        return "; ".join(_indicator_text(item) for item in value)
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def _indicator_text(item: dict) -> str:
    unit = f" ({item['unit']})" if item["unit"] else ""
    year = f" ({item['target_year']})" if item["target_year"] else ""
    return (
        f"{item['name']}{unit}: {decimal_text(item['baseline_value'])} → "
        f"{decimal_text(item['target_value'])}{year}"
    )
