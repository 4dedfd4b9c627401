"""An activity's indicators as one readable spreadsheet cell, written and read back.

“Andel trygga (%): 58,5 (2022) → 70 (2026); Besök per månad: 120 (2024) → 300 (2026)”
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from klockaretorpet.numbers import decimal_text

SEPARATOR = "; "
ITEM = re.compile(
    r"^(?P<name>.+?)(?:\s*\((?P<unit>[^()]*)\))?\s*:\s*(?P<baseline>.*?)\s*(?:→|->)\s*(?P<target>.*)$"
)
# An indicator whose arrow a Windows-1252 CSV turned into a question mark.
LOST_ARROW = re.compile(r"^.+?:.*?\s\?\s.*$")
VALUE = re.compile(r"^(?P<number>[^()]*?)\s*(?:\((?P<year>\d{4})\))?$")
EMPTY = {"", "–", "-", "—"}


@dataclass(frozen=True)
class IndicatorSpec:
    name: str
    unit: str = ""
    baseline_value: Decimal | None = None
    baseline_year: int | None = None
    target_value: Decimal | None = None
    target_year: int | None = None


def render(indicator) -> str:
    """One indicator (a model instance or an `IndicatorSpec`) as text."""
    unit = f" ({indicator.unit})" if indicator.unit else ""

    baseline = _sheet_number(indicator.baseline_value, indicator.baseline_year)
    target = _sheet_number(indicator.target_value, indicator.target_year)
    return f"{indicator.name}{unit}: {baseline} → {target}"


def _sheet_number(value, year) -> str:
    # The cell is parsed back by `parse`, in Swedish whoever exported it.
    return decimal_text(value, year=year, grouping=False, language="sv")


def render_all(indicators) -> str:
    return SEPARATOR.join(render(indicator) for indicator in indicators)


def parse(text) -> list[IndicatorSpec]:
    """Read a cell back; raises ValueError with a Swedish message naming the bad part."""
    specs = []
    for part in re.split(r"\s*;\s*", str(text or "").strip()):
        if not part:
            continue
        match = ITEM.match(part)
        if not match and LOST_ARROW.match(part):
            raise ValueError(
                _(
                    "“%(part)s”: the arrow → has become “?”, as it does when a file is saved as "
                    "CSV in Windows-1252, which has no arrow. Write -> instead of →, or save the "
                    "file as “CSV UTF-8” or as an Excel workbook (.xlsx)."
                )
                % {"part": part}
            )
        if not match:
            raise ValueError(
                _(
                    "“%(part)s” is not an indicator. Write it as “Name (unit): baseline (year) → "
                    "target (year)”, e.g. “Besök per månad (st): 120 (2024) → 300 (2026)”; -> "
                    "may be written instead of →."
                )
                % {"part": part}
            )
        name = match["name"].strip()
        baseline, baseline_year = _value(match["baseline"], name)
        target, target_year = _value(match["target"], name)
        specs.append(
            IndicatorSpec(
                name=name,
                unit=(match["unit"] or "").strip(),
                baseline_value=baseline,
                baseline_year=baseline_year,
                target_value=target,
                target_year=target_year,
            )
        )
    return specs


def _value(text: str, name: str) -> tuple[Decimal | None, int | None]:
    match = VALUE.match(text.strip())
    number = (match["number"] if match else text).strip()
    year = int(match["year"]) if match and match["year"] else None
    if number in EMPTY:
        return None, year
    # Swedish decimal comma, and spaces as thousands separators (“1 500,5”).
    cleaned = number.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        return Decimal(cleaned), year
    except InvalidOperation:
        raise ValueError(
            _("Indicator “%(name)s”: “%(value)s” is not a number.")
            % {"name": name, "value": number}
        ) from None
