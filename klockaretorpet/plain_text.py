"""Free text as the portal stores it, whatever wrote it: a browser form, Excel, LibreOffice.

Browsers send a textarea's line breaks as CRLF, Excel cells hand them back as LF, and people
leave spaces at the ends of lines. Every write path stores text in one form, so that a file
exported and imported again unchanged compares as unchanged, cell by cell.

Control characters other than tab and line breaks never come from typing; they arrive pasted
from other programs or in files made to attack (`"\\x01=HYPERLINK(…)"` slips past a formula guard
that looks only at the first character). Input refuses them with a message naming them.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

LINE_BREAK = re.compile(r"\r\n|\r|\n")
# C0 controls except tab (\t), line feed (\n) and carriage return (\r), and DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_text(value) -> str:
    """LF line breaks, no blanks at the end of a line or around the whole text."""
    if value is None:
        return ""
    lines = LINE_BREAK.split(str(value))
    return "\n".join(line.rstrip() for line in lines).strip()


def control_characters_in(value) -> list[str]:
    """The control characters of `value` as “U+0001”, each once, in order of appearance."""
    found = []
    for character in CONTROL_CHARACTERS.findall(str(value or "")):
        code = f"U+{ord(character):04X}"
        if code not in found:
            found.append(code)
    return found


def strip_control_characters(value: str) -> str:
    return CONTROL_CHARACTERS.sub("", value)


@deconstructible
class NoControlCharacters:
    """Refuses text with control characters (tab and line breaks are allowed)."""

    code = "control_characters"

    def __call__(self, value) -> None:
        found = control_characters_in(value)
        if found:
            raise ValidationError(
                _(
                    "The text contains invisible control characters (%(characters)s) that "
                    "cannot be stored. They usually come with text pasted from another program: "
                    "type the text again or paste it as plain text."
                ),
                code=self.code,
                params={"characters": ", ".join(found)},
            )

    def __eq__(self, other):
        return isinstance(other, NoControlCharacters)

    def __hash__(self):
        return hash(NoControlCharacters)


class _PlainText:
    """Stores text normalised (`normalise_text`) on every save and refuses control characters.

    Normalising in `pre_save` reaches every write path that saves a model (forms, the admin,
    imports, commands, `bulk_create`); `to_python` does it too, so that a form's cleaned value
    and the validators see what will be stored.
    """

    default_validators = [NoControlCharacters()]

    def to_python(self, value):
        value = super().to_python(value)
        return value if value is None else normalise_text(value)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is not None:
            value = normalise_text(value)
            setattr(model_instance, self.attname, value)
        return value


class PlainCharField(_PlainText, models.CharField):
    """A one-line free-text field: a title, a name, a unit."""


class PlainTextField(_PlainText, models.TextField):
    """A free-text field of several lines: a description, a report text."""


def normalise_stored_rows(queryset, field_names: list[str], batch_size: int = 500) -> int:
    """Rewrite rows stored before `PlainCharField`/`PlainTextField` in the normalised form.

    For data migrations: only rows whose text changes are written, without history records
    (line breaks and blanks at line ends are not a change anybody made). Returns the count.
    """
    changed = []
    for row in queryset.only("pk", *field_names).iterator(chunk_size=batch_size):
        differs = False
        for name in field_names:
            value = getattr(row, name)
            if value is not None and normalise_text(value) != value:
                setattr(row, name, normalise_text(value))
                differs = True
        if differs:
            changed.append(row)
    queryset.model.objects.bulk_update(changed, field_names, batch_size=batch_size)
    return len(changed)
