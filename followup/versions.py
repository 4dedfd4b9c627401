"""Reading a plan version's snapshot: one loader that upgrades older shapes, and the labels a
reader shows for its values.

`followup.snapshots.plan_snapshot` writes the current shape (`SCHEMA`). Everything that reads a
stored snapshot goes through `load_snapshot` (a version's `plan_data()`), which brings an older
one up to date step by step and refuses one written by a newer release of the portal, so the
shape can change without rewriting frozen versions.

Schema 2 froze choices as values (`"ongoing"`) beside their labels in the plan's language
(`PLAN_LANGUAGE`), whatever the language of the session that wrote it; readers show the label
of the active language and fall back to the frozen one for a value the code no longer knows.
Schema 1 held the labels in the writer's session language, Swedish or English.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from functools import cache
from typing import Any

from django.db import models
from django.utils import translation

from plans.models import ActivityStatus, ActivityType, schedule_text

from .models import Assessment

SCHEMA = 2
# The language of the labels a snapshot freezes: the plan's own.
PLAN_LANGUAGE = "sv"
# Languages a schema-1 snapshot's labels may be in (the portal's two).
_SCHEMA_1_LANGUAGES = ("sv", "en")


class SnapshotSchemaError(ValueError):
    """A snapshot written by a release of the portal this one cannot read."""


def load_snapshot(data: dict[str, Any]) -> dict[str, Any]:
    """The snapshot in the current shape. An older one is upgraded in a copy (a version is
    frozen: the stored JSON is never changed); a current one is returned as it is."""
    schema = data.get("schema") if isinstance(data, dict) else None
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise SnapshotSchemaError(f"Not a plan snapshot (schema {schema!r}).")
    if schema > SCHEMA:
        raise SnapshotSchemaError(
            f"Snapshot schema {schema} was written by a newer release of the portal; "
            f"this one reads schema {SCHEMA} and older."
        )
    if schema == SCHEMA:
        return data
    data = copy.deepcopy(data)
    while data["schema"] < SCHEMA:
        data = UPGRADES[data["schema"]](data)
    return data


def choice_label(choices: type[models.Choices], value: str | None, frozen: str = "") -> str:
    """The label of `value` in the active language, or the label the snapshot froze for a value
    the code no longer has."""
    if not value:
        return frozen or ""
    try:
        return str(choices(value).label)
    except ValueError:
        return frozen or value


def activity_type_short_label(value: str | None, frozen: str = "") -> str:
    if not value:
        return frozen or ""
    try:
        return str(ActivityType(value).short_label)
    except ValueError:
        return frozen or value


def schedule_label(activity: dict[str, Any]) -> str:
    """The activity's schedule ("mars 2024 – dec 2025") in the active language."""
    return schedule_text(
        snapshot_month(activity.get("planned_start")),
        snapshot_month(activity.get("planned_end")),
        activity.get("schedule_note") or "",
    )


def _frozen_labels(activity: dict[str, Any]) -> dict[str, Any]:
    """The labels of a snapshot's activity in the plan's language, as schema 2 stores them."""
    with translation.override(PLAN_LANGUAGE):
        labels = {
            "activity_type_label": choice_label(
                ActivityType, activity.get("activity_type"), activity.get("activity_type_label")
            ),
            "status_label": choice_label(
                ActivityStatus, activity.get("status"), activity.get("status_label")
            ),
            "schedule_label": schedule_label(activity),
        }
        review = activity.get("review")
        if review is not None:
            labels["review"] = {
                **review,
                "assessment_label": choice_label(
                    Assessment, review.get("assessment"), review.get("assessment_label")
                ),
                "new_status_label": choice_label(
                    ActivityStatus, review.get("new_status"), review.get("new_status_label")
                ),
            }
    return labels


def snapshot_month(value: str | None) -> datetime.date | None:
    """A month a snapshot froze ("2025-06") as the date of its first day."""
    if not value:
        return None
    year, month = value.split("-")[:2]
    return datetime.date(int(year), int(month), 1)


# --- upgrades -----------------------------------------------------------------------------


def _from_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 froze labels in the language of the session that wrote it; schema 2 keeps the
    values and Swedish labels. A value missing beside a label known in either language is
    found again; a label no choice has any more is kept as it was."""
    for activity in data.get("activities", []):
        _value_from_label(activity, "activity_type", "activity_type_label", ActivityType)
        _value_from_label(activity, "status", "status_label", ActivityStatus)
        review = activity.get("review")
        if review is not None:
            _value_from_label(review, "assessment", "assessment_label", Assessment)
        activity.update(_frozen_labels(activity))
    data["language"] = PLAN_LANGUAGE
    data["schema"] = 2
    return data


def _value_from_label(item: dict, key: str, label_key: str, choices: type[models.Choices]):
    if not item.get(key) and item.get(label_key):
        item[key] = _values_by_label(choices).get(item[label_key].casefold(), "")


@cache
def _values_by_label(choices: type[models.Choices]) -> dict[str, str]:
    found = {}
    for language in _SCHEMA_1_LANGUAGES:
        with translation.override(language):
            found.update({str(label).casefold(): value for value, label in choices.choices})
    return found


# How to bring a snapshot of schema N to N + 1; a new schema adds a step here and bumps SCHEMA.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_1_to_2}
