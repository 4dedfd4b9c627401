from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def measure(value: Decimal | int | None) -> str:
    """An indicator value in Swedish format without trailing zeros: 58,5 · 1 500 · 70."""
    if value is None:
        return "–"
    value = Decimal(value)
    exact = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    return number_format(exact, force_grouping=True)


@register.filter
def minutes(duration) -> int | str:
    """Whole minutes of a timedelta (the lock-out page's cool-off time)."""
    return int(duration.total_seconds() // 60) if duration else ""
