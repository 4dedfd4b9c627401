"""Copy a declaration as a template for another district of Fler kan mer.

The next district starts from Klockaretorpet's structure (målbilder, strategier and, if asked,
the activities) without inheriting its record: no history, follow-up rounds, reviews or plan
versions are copied. Every copy gets exactly one “created” history record naming the user.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from klockaretorpet.change_history import m2m_rows_accessor, tracked_m2m_fields
from strategies.models import District, IntentDeclaration, Strategy

from .models import ActivityPlan, ActivityStatus, PlanStatus

M = TypeVar("M", bound=models.Model)

# Bookkeeping of the original row, not part of what it says.
NOT_COPIED = frozenset({"id", "version", "created_at", "updated_at"})


def slug_taken_message(slug: str) -> str:
    return _("The slug “%(slug)s” is already used by another intent declaration.") % {"slug": slug}


def create_district(*, name: str, user) -> District:
    """A new district named `name`, its slug derived from the name."""
    district = District(name=name.strip(), slug=slugify(name))
    district.full_clean()
    _save_with_one_record(district, user=user)
    return district


def copy_declaration(
    source: IntentDeclaration,
    *,
    district: District,
    slug: str,
    title: str,
    user,
    with_activities: bool,
    keep_schedule: bool = False,
    keep_indicator_values: bool = False,
) -> IntentDeclaration:
    """Copy `source` for `district` as an unpublished declaration, in one transaction.

    Copied: the declaration's texts and partners (its adoption date is cleared and it starts
    unpublished), and every målbild and strategi with the same numbers, titles and
    descriptions.

    With `with_activities`, also the source's current activity plan (the one the declaration
    page shows) as a draft, its name with the source district's name replaced by the new one,
    and its activities with the same reference codes, texts, type, responsible organisations,
    success factors, programme goals and indicators. A new district has done nothing yet, so:

    - every activity starts as planned;
    - planned start and end dates are cleared unless `keep_schedule`; the schedule note
      (“HT 2023”, “every spring”) is always kept, so the rough timing survives;
    - indicators keep their name, unit, direction, Kolada KPI and target year, but their
      baseline value and year and their target value are cleared unless
      `keep_indicator_values`: they were measured in, or set for, the source district.

    Without `with_activities` no plan is created. Never copied: history records (each copy gets
    one “created” record naming `user`), follow-up rounds, reviews, plan versions, and the
    reference code counters (new activities continue after the highest code in use).

    Raises `ValidationError` (keyed by field) when the slug is taken or the new declaration is
    invalid; nothing is written then.
    """
    if IntentDeclaration.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": slug_taken_message(slug)})
    try:
        with transaction.atomic():
            declaration = _copy_declaration(
                source,
                district=district,
                slug=slug,
                title=title,
                user=user,
                with_activities=with_activities,
                keep_schedule=keep_schedule,
                keep_indicator_values=keep_indicator_values,
            )
    except IntegrityError:
        # Someone took the slug between the check and the insert.
        if IntentDeclaration.objects.filter(slug=slug).exists():
            raise ValidationError({"slug": slug_taken_message(slug)}) from None
        raise
    return declaration


def _copy_declaration(
    source, *, district, slug, title, user, with_activities, keep_schedule, keep_indicator_values
) -> IntentDeclaration:
    declaration = _copy_of(
        source, district=district, slug=slug, title=title, adopted_on=None, is_published=False
    )
    declaration.full_clean(validate_unique=False)
    _save_with_one_record(declaration, user=user, relations=_relations_of(source))

    strategies: dict[int, Strategy] = {}
    goals = source.goals.order_by("position").prefetch_related("strategies")
    for goal in goals:
        goal_copy = _copy_of(goal, declaration=declaration)
        _save_with_one_record(goal_copy, user=user)
        for strategy in goal.strategies.all():
            strategy_copy = _copy_of(strategy, goal=goal_copy)
            _save_with_one_record(strategy_copy, user=user)
            strategies[strategy.pk] = strategy_copy

    plan = source.activity_plans.current() if with_activities else None
    if plan is not None:
        _copy_plan(
            plan,
            declaration=declaration,
            source_district=source.district,
            strategies=strategies,
            user=user,
            keep_schedule=keep_schedule,
            keep_indicator_values=keep_indicator_values,
        )
    return declaration


def _copy_plan(
    plan: ActivityPlan,
    *,
    declaration: IntentDeclaration,
    source_district: District,
    strategies: dict[int, Strategy],
    user,
    keep_schedule: bool,
    keep_indicator_values: bool,
) -> ActivityPlan:
    plan_copy = _copy_of(
        plan,
        declaration=declaration,
        name=plan.name.replace(source_district.name, declaration.district.name),
        status=PlanStatus.DRAFT,
    )
    _save_with_one_record(plan_copy, user=user)

    # The copy is new and no one else's yet; the source is locked so that an import into it
    # lands wholly before or after the copy, not between reading its activities and their
    # indicators.
    ActivityPlan.objects.lock(plan.pk)
    activities = plan.activities.in_code_order().prefetch_related(
        "co_organisations",
        "success_factors",
        "programme_goals",
        "indicators",
    )
    for activity in activities:
        schedule = {} if keep_schedule else {"planned_start": None, "planned_end": None}
        # The code is set, so `Activity.save()` keeps it instead of drawing a new one.
        activity_copy = _copy_of(
            activity,
            plan=plan_copy,
            strategy=strategies[activity.strategy_id],
            reference_code=activity.reference_code,
            status=ActivityStatus.PLANNED,
            **schedule,
        )
        _save_with_one_record(activity_copy, user=user, relations=_relations_of(activity))
        for indicator in activity.indicators.all():
            values = (
                {}
                if keep_indicator_values
                else {"baseline_value": None, "baseline_year": None, "target_value": None}
            )
            _save_with_one_record(_copy_of(indicator, activity=activity_copy, **values), user=user)
    return plan_copy


def _copy_of(original: M, **changes) -> M:
    """A new, unsaved instance with the original's field values, `changes` applied.

    Fields added to a model later are copied too, which is what a template wants.
    """
    model = type(original)
    values = {
        field.attname: getattr(original, field.attname)
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in NOT_COPIED and field.name not in changes
    }
    return model(**values, **changes)


def _relations_of(original: models.Model) -> dict[str, list[models.Model]]:
    return {
        m2m.name: list(getattr(original, m2m.name).all()) for m2m in original._meta.many_to_many
    }


def _save_with_one_record(
    instance: models.Model,
    *,
    user,
    relations: dict[str, Iterable[models.Model]] | None = None,
) -> None:
    """Save a new instance and its many-to-many relations with one “created” history record.

    A plain save writes “created” with empty relations and then one “changed” record per
    relation set; here the record is written once the relations exist, so it lists them.
    """
    instance._history_user = user
    if not relations:
        instance.save()
        return
    instance.skip_history_when_saving = True
    try:
        instance.save()
        for name, related in relations.items():
            getattr(instance, name).set(related)
    finally:
        del instance.skip_history_when_saving
    _write_created_record(instance, user=user)


def _write_created_record(instance: models.Model, *, user) -> None:
    model = type(instance)
    history_manager = model.history
    (record,) = history_manager.bulk_history_create([instance], default_user=user)
    history_model = history_manager.model
    for m2m in tracked_m2m_fields(model, history_model):
        through = m2m.remote_field.through
        rows_model = getattr(record, m2m_rows_accessor(history_model, m2m)).model
        names = [field.attname for field in through._meta.concrete_fields]
        rows_model.objects.bulk_create(
            rows_model(history=record, **{name: getattr(row, name) for name in names})
            for row in through.objects.filter(**{m2m.m2m_field_name(): instance})
        )
