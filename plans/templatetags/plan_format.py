from decimal import Decimal

from django import template

from klockaretorpet.numbers import decimal_text

register = template.Library()


@register.filter
def measure(value: Decimal | int | None) -> str:
    """An indicator value without trailing zeros, in the reader's language: 58,5 · 1 500 · 70."""
    return decimal_text(value)


@register.filter
def minutes(duration) -> int | str:
    """Whole minutes of a timedelta (the lock-out page's cool-off time)."""
    return int(duration.total_seconds() // 60) if duration else ""
