"""The retention routine for people's names typed into plan text (see README, “Personuppgifter”).

Responsible persons are optional: the plan names units and roles. When a name was typed anyway and
the person leaves, a plan administrator removes it from the current records *and* from the change
history. History rows are corrected in place: this is the one deliberate rewrite of history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import F

from plans import tree_cache
from plans.models import Activity, Indicator

REPLACEMENT = "[namn borttaget]"

# Free-text fields where a person's name can end up; structured fields hold organisations.
NAME_BEARING_FIELDS: dict[type[models.Model], list[str]] = {
    Activity: ["responsible_unit", "description", "measurability", "title", "schedule_note"],
    Indicator: ["name"],
}


@dataclass
class ErasureCount:
    label: str
    current: int
    history: int


def erase_name(*, name: str, dry_run: bool) -> list[ErasureCount]:
    """Replace `name` (any letter case) in current rows and their history rows.

    With `dry_run` it only counts. Everything happens in one transaction.
    """
    name = name.strip()
    if len(name) < 3:
        raise ValueError("name too short")
    pattern = re.compile(re.escape(name), re.IGNORECASE)
    counts = []
    with transaction.atomic():
        for model, fields in NAME_BEARING_FIELDS.items():
            counts.append(
                ErasureCount(
                    label=str(model._meta.verbose_name_plural),
                    current=_scrub(model._base_manager, fields, name, pattern, dry_run, model),
                    history=_scrub(
                        model.history.model._base_manager, fields, name, pattern, dry_run
                    ),
                )
            )
        if not dry_run:
            # The queryset updates send no signal; an erased name must not live on in the cache.
            tree_cache.new_generation()
    return counts


def _scrub(manager, fields, name, pattern, dry_run, versioned_model=None) -> int:
    matches = models.Q()
    for field in fields:
        matches |= models.Q(**{f"{field}__icontains": name})
    rows = list(manager.filter(matches).only("pk", *fields))
    if dry_run:
        return len(rows)
    for row in rows:
        values = {field: pattern.sub(REPLACEMENT, getattr(row, field) or "") for field in fields}
        if versioned_model is not None and hasattr(versioned_model, "version"):
            # Bump the version so an edit form opened before the erasure cannot bring it back.
            values["version"] = F("version") + 1
        # A queryset update: the correction itself must not write a new history row.
        manager.filter(pk=row.pk).update(**values)
    return len(rows)
