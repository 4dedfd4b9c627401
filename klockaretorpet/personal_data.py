"""The retention routine for people's names typed into plan text (see README, “Personuppgifter”).

Responsible persons are optional: the plan names units and roles. When a name was typed anyway and
the person leaves, a plan administrator removes it from the current records *and* from the change
history. History rows are corrected in place: this is the one deliberate rewrite of history, and
of the frozen record (closed rounds, plan versions and their JSON snapshots).

The apps declare where a name can end up (`declare_name_bearing_fields`,
`declare_name_bearing_json`); this module imports none of them. Output cached under the data
generations (`klockaretorpet.generations`) is started anew after an erasure; an app whose cache
outlives the generations (the PDF of a plan version is rendered once) drops it in the `erased`
hook it declares with the JSON field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import F

from klockaretorpet import generations

REPLACEMENT = "[namn borttaget]"

# Free-text fields where a person's name can end up, by model; structured fields hold
# organisations. Declared by the apps.
NAME_BEARING_FIELDS: dict[type[models.Model], list[str]] = {}


@dataclass(frozen=True)
class NameBearingJson:
    field: str
    # erased(places by pk, user): told which rows held the name and in how many places, in the
    # erasure's transaction; it records the erasure (never the name) and drops cached output.
    erased: Callable[[dict[int, int], object], None] | None


NAME_BEARING_JSON: dict[type[models.Model], NameBearingJson] = {}


def declare_name_bearing_fields(model: type[models.Model], fields) -> None:
    """Called by an app when it is ready: these text fields of `model` (and of its history,
    when it has one) may hold a person's name."""
    NAME_BEARING_FIELDS[model] = list(fields)


def declare_name_bearing_json(
    model: type[models.Model],
    field: str,
    *,
    erased: Callable[[dict[int, int], object], None] | None = None,
) -> None:
    """Called by an app when it is ready: every string in this JSON field of `model` (a frozen
    snapshot) may hold a person's name. `erased(places_by_pk, user)` is called after the rows
    that held it were corrected."""
    NAME_BEARING_JSON[model] = NameBearingJson(field, erased)


@dataclass
class ErasureCount:
    label: str
    current: int
    history: int


def erase_name(*, name: str, dry_run: bool, user=None) -> list[ErasureCount]:
    """Replace `name` (any letter case) in current rows, their history rows and the snapshots.

    With `dry_run` it only counts. Everything happens in one transaction. `user` is who erased,
    for the record the apps keep of an erasure in a frozen object.
    """
    name = name.strip()
    if len(name) < 3:
        raise ValueError("name too short")
    pattern = re.compile(re.escape(name), re.IGNORECASE)
    counts = []
    with transaction.atomic():
        # {model: {pk: places}} of the current rows that held the name.
        found: dict[type[models.Model], dict[int, int]] = {}
        for model, fields in NAME_BEARING_FIELDS.items():
            history = getattr(model, "history", None)
            history_manager = None if history is None else history.model._base_manager
            found[model] = _scrub(model._base_manager, fields, name, pattern, dry_run, model)
            counts.append(
                ErasureCount(
                    label=str(model._meta.verbose_name_plural),
                    current=len(found[model]),
                    history=(
                        0
                        if history_manager is None
                        else len(_scrub(history_manager, fields, name, pattern, dry_run))
                    ),
                )
            )
        for model, declared in NAME_BEARING_JSON.items():
            places = _scrub_json(model._base_manager, declared.field, pattern, dry_run)
            field_label = model._meta.get_field(declared.field).verbose_name
            counts.append(
                ErasureCount(
                    label=f"{model._meta.verbose_name_plural} ({field_label})",
                    current=len(places),
                    history=0,
                )
            )
            in_model = found.setdefault(model, {})
            for pk, count in places.items():
                in_model[pk] = in_model.get(pk, 0) + count
        for model, declared in NAME_BEARING_JSON.items():
            if found[model] and not dry_run and declared.erased is not None:
                declared.erased(found[model], user)
        if not dry_run:
            # The queryset updates send no signal; an erased name must not live on in a cache.
            generations.bump_all()
    return counts


def _scrub(manager, fields, name, pattern, dry_run, versioned_model=None) -> dict[int, int]:
    """{pk: fields that held the name} of the rows, corrected unless `dry_run`."""
    matches = models.Q()
    for field in fields:
        matches |= models.Q(**{f"{field}__icontains": name})
    rows = list(manager.filter(matches).only("pk", *fields))
    places = {
        row.pk: sum(bool(pattern.search(getattr(row, field) or "")) for field in fields)
        for row in rows
    }
    if dry_run:
        return places
    for row in rows:
        values = {field: pattern.sub(REPLACEMENT, getattr(row, field) or "") for field in fields}
        if versioned_model is not None and _has_field(versioned_model, "version"):
            # Bump the version so an edit form opened before the erasure cannot bring it back.
            values["version"] = F("version") + 1
        # A queryset update: the correction itself must not write a new history row, and goes
        # past the save() that keeps frozen objects as they are.
        manager.filter(pk=row.pk).update(**values)
    return places


def _scrub_json(manager, field, pattern, dry_run) -> dict[int, int]:
    """{pk: places} of the rows whose JSON held the name. Every row is read: the database's
    text of a JSON value may escape the letters of the name (SQLite stores \\u00e5 for å)."""
    places = {}
    for pk, value in manager.values_list("pk", field).iterator():
        scrubbed, found = _replace_in_json(value, pattern)
        if found:
            places[pk] = found
            if not dry_run:
                manager.filter(pk=pk).update(**{field: scrubbed})
    return places


def _replace_in_json(value, pattern):
    """(value with the name replaced in every string, number of strings that held it)."""
    if isinstance(value, str):
        scrubbed, found = pattern.subn(REPLACEMENT, value)
        return scrubbed, int(found > 0)
    if isinstance(value, list):
        pairs = [_replace_in_json(item, pattern) for item in value]
        return [item for item, _found in pairs], sum(found for _item, found in pairs)
    if isinstance(value, dict):
        pairs = {key: _replace_in_json(item, pattern) for key, item in value.items()}
        return (
            {key: item for key, (item, _found) in pairs.items()},
            sum(found for _item, found in pairs.values()),
        )
    return value, 0


def _has_field(model: type[models.Model], name: str) -> bool:
    # A column, not a reverse relation of that name (a round's `version`).
    return any(field.name == name for field in model._meta.concrete_fields)
