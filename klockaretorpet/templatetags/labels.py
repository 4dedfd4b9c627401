"""How a choice's label is written: on its own (a badge, a table cell, a heading, a chart's
legend) it starts with a capital, “Pågående”; inside a sentence it stays as the model spells it,
“… är pågående”. Every badge goes through `{% badge %}`, so none forgets the capital; other
labels on their own take `|capfirst` (never `.capitalize()`, which lower-cases the rest)."""

from django import template
from django.utils.html import format_html
from django.utils.text import capfirst

register = template.Library()


@register.simple_tag
def badge(label, modifier, prefix=""):
    """`{% badge activity.get_status_display activity.status %}`: the label as a badge whose
    colour class is `badge--<prefix><modifier>`."""
    return format_html(
        '<span class="badge badge--{}{}">{}</span>', prefix, modifier, capfirst(label)
    )
