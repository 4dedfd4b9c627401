"""Widgets that read the activity sheet's cells the way people type them in Excel.

Each raises `ValueError` with a Swedish message naming the value, which django-import-export
reports for the row and column.
"""

from __future__ import annotations

import datetime
import re

from django.db import models
from django.utils.translation import gettext as _
from import_export import widgets

from klockaretorpet.plain_text import normalise_text

LIST_SPLIT = re.compile(r"\s*;\s*")
MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[ T].*)?\s*$")
STRATEGY_NUMBER = re.compile(r"^\s*(\d+)\.(\d+)\b\s*(.*)$")


def normalise_name(value) -> str:
    return " ".join(str(value).split()).casefold()


class TextWidget(widgets.CharWidget):
    """Text as every write path stores it (`normalise_text`); empty cells become empty text,
    never None (the model's text fields are NOT NULL)."""

    def clean(self, value, row=None, **kwargs):
        return normalise_text(value)


class ChoiceLabelWidget(widgets.Widget):
    """A TextChoices cell by its Swedish label, short label or stored value, any letter case."""

    def __init__(self, choices: type[models.TextChoices], *, short_labels=None, blank=True):
        self.choices = choices
        self.blank = blank
        self.lookup: dict[str, str] = {}
        for choice in choices:
            self.lookup[normalise_name(choice.value)] = choice.value
        self.short_labels = short_labels or {}
        super().__init__()

    def _labels(self) -> dict[str, str]:
        # Labels are looked up per call: they are lazy translations.
        labels = {normalise_name(choice.label): choice.value for choice in self.choices}
        labels.update({normalise_name(label): value for value, label in self.short_labels.items()})
        return {**labels, **self.lookup}

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            if self.blank:
                return ""
            raise ValueError(_("A value is required."))
        found = self._labels().get(normalise_name(value))
        if found is None:
            allowed = "; ".join(str(choice.label) for choice in self.choices)
            raise ValueError(
                _("Unknown value “%(value)s”. Allowed: %(allowed)s.")
                % {"value": value, "allowed": allowed}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return str(self.choices(value).label) if value else ""


class MonthWidget(widgets.Widget):
    """A tidplan month: an Excel date, YYYY-MM-DD or YYYY-MM; stored as the month's first day."""

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        if isinstance(value, datetime.datetime):
            return value.date().replace(day=1)
        if isinstance(value, datetime.date):
            return value.replace(day=1)
        match = MONTH.match(str(value))
        if match:
            try:
                return datetime.date(int(match[1]), int(match[2]), 1)
            except ValueError:
                pass
        raise ValueError(
            _("“%(value)s” is not a month. Write it as YYYY-MM, e.g. 2024-03.") % {"value": value}
        )

    def render(self, value, obj=None, **kwargs):
        return value.strftime("%Y-%m") if value else ""


class CachedLookupWidget(widgets.Widget):
    """Looks names up in a dictionary built once per import, not one query per row."""

    def __init__(self, *, names: dict[str, models.Model], kind: str, known: list[str]):
        self.names = names
        self.kind = kind
        self.known = known
        widgets.Widget.__init__(self)

    def find(self, value):
        found = self.names.get(normalise_name(value))
        if found is None:
            raise ValueError(
                _("Unknown %(kind)s “%(value)s”. Known: %(known)s.")
                % {"kind": self.kind, "value": value, "known": "; ".join(self.known)}
            )
        return found

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        return self.find(str(value).strip())


class CachedManyWidget(CachedLookupWidget, widgets.ManyToManyWidget):
    """Several names in one cell, separated by “;”."""

    def __init__(self, model, **kwargs):
        CachedLookupWidget.__init__(self, **kwargs)
        self.model = model
        self.separator = ";"
        self.field = "pk"

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return []
        # The objects themselves, already at hand: no query per row.
        return [self.find(name) for name in LIST_SPLIT.split(str(value).strip()) if name]

    def render(self, value, obj=None, **kwargs):
        items = value.all() if hasattr(value, "all") else (value or [])
        return "; ".join(sorted(str(item) for item in items))


class StrategyWidget(CachedLookupWidget):
    """A strategy by its number (“1.2”), number and title, or title alone.

    A number with a title must match both: “1.3 Navestad grönska” pasted from another district's
    plan is not this declaration's 1.3 just because the numbers agree.
    """

    def __init__(self, *, strategies, **kwargs):
        self.by_number = {strategy.number: strategy for strategy in strategies}
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            raise ValueError(_("A strategy is required."))
        text = str(value).strip()
        match = STRATEGY_NUMBER.match(text)
        strategy = self.by_number.get(f"{match[1]}.{match[2]}") if match else None
        if strategy is None:
            return self.find(text)
        title = match[3].strip()
        if title and normalise_name(title) != normalise_name(strategy.title):
            raise ValueError(
                _(
                    "“%(value)s” does not match this declaration's strategy %(number)s, "
                    "“%(title)s”: the number and the title must both be this declaration's. "
                    "Known: %(known)s."
                )
                % {
                    "value": text,
                    "number": strategy.number,
                    "title": strategy.title,
                    "known": "; ".join(self.known),
                }
            )
        return strategy
