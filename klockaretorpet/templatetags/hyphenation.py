"""`{{ value|hyphenate }}`: soft hyphens in long words, so a narrow column breaks
“Samhälls-byggnadskontoret” where Swedish hyphenates it instead of mid-syllable.

CSS `hyphens: auto` would do this in the browser, but Chromium on Linux (Debian's included)
ships no hyphenation dictionaries and breaks “Samhällsbyggnadskontor/et” anywhere. Pyphen
(WeasyPrint's dependency, with the LibreOffice dictionaries) knows where Swedish and English
words break. A soft hyphen shows only where the line breaks; find in page ignores it, and
static/js/copy.js takes it out of copied text."""

from __future__ import annotations

import functools
import re

import pyphen
from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# Shorter words fit the narrowest column the portal has (the public table's responsibility column
# at 768 px holds eight letters, not “Norrköpings”).
LONGEST_UNBROKEN = 8
SOFT_HYPHEN = "&shy;"

_LONG_WORD = re.compile(rf"\w{{{LONGEST_UNBROKEN + 1},}}")
# In escaped or safe HTML: tags and character references, which must stay whole.
_MARKUP = re.compile(r"(<[^>]*>|&#?\w+;)")


@functools.cache
def _dictionary(language: str) -> pyphen.Pyphen:
    # Three letters at least on either side of a break: “Kul-”/“-ret” read badly.
    return pyphen.Pyphen(lang=language, left=3, right=3)


def _language() -> str:
    return "en" if (get_language() or "sv").startswith("en") else "sv"


def hyphenate_html(html: str, language: str | None = None) -> str:
    """`html` (escaped already) with soft hyphens in its long words, tags and character
    references untouched."""
    dictionary = _dictionary(language or _language())

    def soften(match: re.Match) -> str:
        return dictionary.inserted(match.group(), hyphen=SOFT_HYPHEN)

    return "".join(
        part if index % 2 else _LONG_WORD.sub(soften, part)
        for index, part in enumerate(_MARKUP.split(html))
    )


@register.filter(needs_autoescape=True)
def hyphenate(value, autoescape=True):
    """Escapes `value` (unless it is safe HTML already), then marks where its long words may
    break."""
    if value is None or value == "":
        return value
    escaped = conditional_escape(value) if autoescape else str(value)
    return mark_safe(hyphenate_html(str(escaped)))  # noqa: S308 (escaped above; only &shy; added)
