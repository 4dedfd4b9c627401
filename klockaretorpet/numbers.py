"""Measured values (indicator baselines, targets, results) as people read them: the one
formatter of decimals for pages, forms, PDFs and sheets."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.formats import number_format

NO_VALUE = "–"


def decimal_text(
    value: Decimal | int | str | None,
    *,
    year: int | None = None,
    grouping: bool = True,
    language: str | None = None,
) -> str:
    """58,5 · 1 500 · 70 in Swedish, 58.5 · 1,500 · 70 in English: no trailing zeros, the
    decimal mark of the active language, "–" for no value, and " (2024)" after a value when its
    `year` is known.

    Sheets pass `language="sv"` and `grouping=False`: a sheet is read back by the import, which
    takes the Swedish format whoever exported it. `value` may be a snapshot's canonical string."""
    if value is None or value == "":
        return NO_VALUE
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    exact = (
        number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    )
    with translation.override(language or translation.get_language()):
        text = number_format(exact, force_grouping=grouping, use_l10n=True)
    return f"{text} ({year})" if year else text
