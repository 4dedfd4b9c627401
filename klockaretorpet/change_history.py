"""Readable change history from django-simple-history: who, when, which fields from what to what.

Every audited model goes through here, so the activity page and the audit views show changes the
same way. Saving an object with many-to-many fields writes one history record for the save and
one per changed relation; records by the same user a moment apart are shown as one change.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.formats import date_format, localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import get_m2m_reverse_field_name

NOT_SHOWN = {"created_at", "updated_at", "version"}
SAME_CHANGE_WINDOW = datetime.timedelta(seconds=5)


class HistoryKind(models.TextChoices):
    """A history record's `history_type`, as django-simple-history writes it."""

    CREATED = "+", gettext_lazy("created")
    CHANGED = "~", gettext_lazy("changed")
    DELETED = "-", gettext_lazy("deleted")


Formatter = Callable[[Any], str]


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class ChangeEntry:
    when: datetime.datetime
    user: Any
    kind: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(HistoryKind(self.kind).label)


def month_formatter(value: datetime.date | None) -> str:
    return date_format(value, "YEAR_MONTH_FORMAT") if value else "–"


def tracked_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        model_field
        for model_field in model._meta.concrete_fields
        if model_field.editable
        and not model_field.primary_key
        and model_field.name not in NOT_SHOWN
    ]


def tracked_m2m_fields(
    model: type[models.Model], history_model: type[models.Model]
) -> list[models.ManyToManyField]:
    names = {m2m.name for m2m in getattr(history_model, "_history_m2m_fields", [])}
    return [m2m for m2m in model._meta.many_to_many if m2m.name in names]


def m2m_rows_accessor(history_model: type[models.Model], m2m: models.ManyToManyField) -> str:
    """Name of the reverse relation from a history record to its saved many-to-many rows."""
    suffix = f"{history_model.__name__}_{m2m.name}".lower()
    for relation in history_model._meta.related_objects:
        if relation.related_model._meta.model_name == suffix:
            return relation.get_accessor_name()
    raise LookupError(f"{history_model.__name__} keeps no history of {m2m.name}")


def history_queryset(history_manager) -> models.QuerySet:
    """The records of one object, newest first, with what `change_entries` reads."""
    history_model = history_manager.model
    model = history_model.instance_type
    return history_manager.select_related("history_user").prefetch_related(
        *(m2m_rows_accessor(history_model, m2m) for m2m in tracked_m2m_fields(model, history_model))
    )


def change_entries(
    records: Sequence[models.Model],
    *,
    formatters: dict[str, Formatter] | None = None,
) -> list[ChangeEntry]:
    """Turn one object's history records (newest first) into entries, newest first."""
    if not records:
        return []
    history_model = type(records[0])
    model = history_model.instance_type
    formatters = formatters or {}
    fields = tracked_fields(model)
    m2m_fields = tracked_m2m_fields(model, history_model)

    snapshots = [_snapshot(record, fields, m2m_fields) for record in reversed(records)]
    names = _related_names(snapshots, fields, m2m_fields)

    entries: list[ChangeEntry] = []
    previous: dict[str, Any] | None = None
    group: list[tuple[models.Model, dict[str, Any]]] = []

    def close_group() -> None:
        first_record, _first = group[0]
        last_record, last_snapshot = group[-1]
        created = first_record.history_type == HistoryKind.CREATED
        base = None if created else previous
        kind = HistoryKind.CREATED if created else last_record.history_type
        changes = (
            []
            if base is None
            else _diff(base, last_snapshot, fields, m2m_fields, names, formatters)
        )
        if base is not None and not changes:
            return
        entries.append(
            ChangeEntry(
                when=last_record.history_date,
                user=last_record.history_user,
                kind=kind,
                changes=changes,
            )
        )

    for record, snapshot in zip(reversed(records), snapshots, strict=True):
        if group and not _same_change(group[0][0], record):
            close_group()
            previous = group[-1][1]
            group = []
        group.append((record, snapshot))
    close_group()
    entries.reverse()
    return entries


def _same_change(first: models.Model, record: models.Model) -> bool:
    return (
        record.history_type == HistoryKind.CHANGED
        and record.history_user_id == first.history_user_id
        and record.history_date - first.history_date <= SAME_CHANGE_WINDOW
    )


def _snapshot(record, fields, m2m_fields) -> dict[str, Any]:
    values = {model_field.name: getattr(record, model_field.attname) for model_field in fields}
    for m2m in m2m_fields:
        target = get_m2m_reverse_field_name(m2m)
        rows = getattr(record, m2m_rows_accessor(type(record), m2m)).all()
        values[m2m.name] = frozenset(getattr(row, f"{target}_id") for row in rows)
    return values


def _related_names(snapshots, fields, m2m_fields) -> dict[type[models.Model], dict[Any, str]]:
    """Names of every object the history points at, one query per related model."""
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for model_field in fields:
        if model_field.is_relation:
            wanted[model_field.related_model].update(
                snapshot[model_field.name]
                for snapshot in snapshots
                if snapshot[model_field.name] is not None
            )
    for m2m in m2m_fields:
        for snapshot in snapshots:
            wanted[m2m.related_model].update(snapshot[m2m.name])
    # select_related(): some names are built from a parent (a strategy's “1.2” needs its goal).
    return {
        related_model: {
            pk: str(obj)
            for pk, obj in related_model._base_manager.select_related().in_bulk(list(ids)).items()
        }
        for related_model, ids in wanted.items()
        if ids
    }


def _diff(old, new, fields, m2m_fields, names, formatters) -> list[FieldChange]:
    changes = []
    for model_field in [*fields, *m2m_fields]:
        before, after = old[model_field.name], new[model_field.name]
        if before != after:
            changes.append(
                FieldChange(
                    label=str(model_field.verbose_name).capitalize(),
                    old=_display(model_field, before, names, formatters),
                    new=_display(model_field, after, names, formatters),
                )
            )
    return changes


def _display(model_field, value, names, formatters) -> str:
    if model_field.name in formatters:
        return formatters[model_field.name](value)
    if model_field.many_to_many:
        return _join(_name(names, model_field.related_model, pk) for pk in value)
    if value is None or value == "":
        return "–"
    if model_field.is_relation:
        return _name(names, model_field.related_model, value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.date | Decimal | int | float):
        return str(localize(value))
    return str(value)


def _name(names, related_model, pk) -> str:
    return names.get(related_model, {}).get(pk) or _("(deleted, id %(id)s)") % {"id": pk}


def _join(values: Iterable[str]) -> str:
    return ", ".join(sorted(values)) or "–"


def changes_since_previous(records: Sequence[models.Model]) -> dict[int, list[FieldChange]]:
    """For records of one model (any objects): each record's changes against the record
    before it of the same object, keyed by history_id. One query for all predecessors."""
    if not records:
        return {}
    history_model = type(records[0])
    model = history_model.instance_type
    pk_name = model._meta.pk.attname
    fields = tracked_fields(model)
    m2m_fields = tracked_m2m_fields(model, history_model)
    wanted = {record.history_id for record in records}
    object_ids = {getattr(record, pk_name) for record in records}
    chronological = list(
        history_queryset(history_model._default_manager)
        .filter(**{f"{pk_name}__in": object_ids})
        .order_by(pk_name, "history_date", "history_id")
    )
    snapshots = {
        record.history_id: _snapshot(record, fields, m2m_fields) for record in chronological
    }
    names = _related_names(list(snapshots.values()), fields, m2m_fields)
    changes: dict[int, list[FieldChange]] = {}
    previous = None
    for record in chronological:
        same_object = previous is not None and getattr(previous, pk_name) == getattr(
            record, pk_name
        )
        if record.history_id in wanted:
            changes[record.history_id] = (
                _diff(
                    snapshots[previous.history_id],
                    snapshots[record.history_id],
                    fields,
                    m2m_fields,
                    names,
                    {},
                )
                if same_object and record.history_type == HistoryKind.CHANGED
                else []
            )
        previous = record
    return changes
