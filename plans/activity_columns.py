"""Columns another app adds to the plan pages' activity tables, so that plans need not know it:
the follow-up adds each activity's assessment in the latest closed round.

A column names its heading, the template of its cell (rendered with `activity` and the column's
`value_of(activity)` as `value`) and how to annotate the activities' query set with what the
cell shows, so that the table still loads in one query whatever the number of activities. Tables
that are cached (`tree_cache`) must also be told when a column's data changes: the app adds the
generation it replaces with `tree_cache.add_section_dependency`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class ActivityColumn:
    name: str
    heading: str
    cell_template: str
    annotate: Callable[[QuerySet], QuerySet]
    position: int = 100


ACTIVITY_COLUMNS: list[ActivityColumn] = []


def add_activity_column(column: ActivityColumn) -> None:
    if all(existing.name != column.name for existing in ACTIVITY_COLUMNS):
        ACTIVITY_COLUMNS.append(column)
        ACTIVITY_COLUMNS.sort(key=lambda entry: entry.position)


def annotated(activities: QuerySet) -> QuerySet:
    for column in ACTIVITY_COLUMNS:
        activities = column.annotate(activities)
    return activities
