"""What the activity page shows beyond the plan's own fields, filled in by other apps.

The plans app must not know the apps built on it (the follow-up reads plans, never the other way
round), yet the activity page is where a reader expects an activity's whole story. Another app
adds to the page from its `AppConfig.ready()`, through two hooks:

- `add_activity_section(ActivitySection(template_name, context, position))`: a section of the
  page, rendered below the indicator table and above the change history, in `position` order.
  `context(request, activity)` returns the template's context; the template also gets the
  `activity` and whatever the context processors give (`user`, `request`).
- `set_indicator_readings(readings)`: `readings(request, activity)` returns an
  `IndicatorReading` per indicator id, the latest measured value of each of the activity's
  indicators. Once set, the indicator table shows a "Latest value" and a "Progress" column
  (an indicator without a reading shows that none is reported yet); each prefetched indicator
  gets its reading as `indicator.reading`.

Both hooks run once per page view with the same activity object, so an app can load what it
needs once and keep it on the activity for the other hook. Each must load in a fixed number of
queries: the page's query count may not grow with what the app has recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from klockaretorpet.numbers import decimal_text

from .models import Activity, Indicator


@dataclass(frozen=True)
class ActivitySection:
    template_name: str
    context: Callable[[HttpRequest, Activity], dict]
    position: int = 100


@dataclass(frozen=True)
class IndicatorReading:
    """An indicator's latest value, the year it is of, and whether it may still change."""

    indicator: Indicator
    value: Decimal | None = None
    year: int | None = None
    preliminary: bool = False

    @property
    def value_text(self) -> str:
        return decimal_text(self.value, year=self.year)

    @property
    def progress(self) -> int | None:
        return self.indicator.progress(self.value)

    @property
    def progress_width(self) -> int:
        """The bar's length out of 100: a value beyond the target or behind the baseline fills
        the bar or leaves it empty; the per cent beside it tells how far."""
        return max(0, min(100, self.progress or 0))

    @property
    def verdict(self) -> str:
        return self.indicator.verdict(self.value)


ReadingsOf = Callable[[HttpRequest, Activity], dict[int, IndicatorReading]]

ACTIVITY_SECTIONS: list[ActivitySection] = []
_readings: list[ReadingsOf] = []


def add_activity_section(section: ActivitySection) -> None:
    """Called by another app when it is ready, to show a section of its own on the page."""
    if section not in ACTIVITY_SECTIONS:
        ACTIVITY_SECTIONS.append(section)
        ACTIVITY_SECTIONS.sort(key=lambda entry: entry.position)


def set_indicator_readings(readings: ReadingsOf) -> None:
    """Called by the one app that measures indicators, when it is ready."""
    _readings[:] = [readings]


def shows_indicator_readings() -> bool:
    return bool(_readings)


def attach_indicator_readings(request: HttpRequest, activity: Activity) -> None:
    """Give each of the activity's (prefetched) indicators its `reading`, when an app reads
    them."""
    if not _readings:
        return
    readings = _readings[0](request, activity)
    for indicator in activity.indicators.all():
        indicator.reading = readings.get(indicator.pk) or IndicatorReading(indicator)


def rendered_sections(request: HttpRequest, activity: Activity) -> list[SafeString]:
    return [
        render_to_string(
            section.template_name,
            {"activity": activity, **section.context(request, activity)},
            request=request,
        )
        for section in ACTIVITY_SECTIONS
    ]
