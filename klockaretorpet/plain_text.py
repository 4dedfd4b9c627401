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

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.utils import translation
from django.utils.deconstruct import deconstructible
from django.utils.formats import number_format
from django.utils.text import capfirst
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


class LengthLimit:
    """Refuses text longer than its field's `max_length`, naming the field and the limit.

    Django's own message names neither ("at most 3000 characters (it has 3512)"), which says
    little in an import's list of problems. Lengths count the normalised text, line breaks as
    one character, as the browser's `maxlength` counts them.
    """

    code = "max_length"

    def __init__(self, field):
        self.field = field

    def __call__(self, value) -> None:
        length, limit = len(value or ""), self.field.max_length
        if length > limit:
            raise ValidationError(
                _(
                    "“%(field)s” may be at most %(limit)s characters long; this text has "
                    "%(length)s."
                ),
                code=self.code,
                params={
                    "field": capfirst(self.field.verbose_name),
                    "limit": number_format(limit, force_grouping=True),
                    "length": number_format(length, force_grouping=True),
                },
            )


class _PlainText:
    """Stores text normalised (`normalise_text`) on every save, refuses control characters and,
    with `max_length`, text over the limit (a `TextField` too: a report with megabytes of text
    would take minutes to render).

    Normalising in `pre_save` reaches every write path that saves a model (forms, the admin,
    imports, commands, `bulk_create`); `to_python` does it too, so that a form's cleaned value
    and the validators see what will be stored.
    """

    default_validators = [NoControlCharacters()]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators[:] = [
                validator
                for validator in self.validators
                if not isinstance(validator, MaxLengthValidator)
            ] + [LengthLimit(self)]

    def formfield(self, **kwargs):
        field = super().formfield(**kwargs)
        # The browser still gets `maxlength`; the message comes from the model's LengthLimit,
        # which names the field.
        field.validators[:] = [
            validator
            for validator in field.validators
            if not isinstance(validator, MaxLengthValidator)
        ]
        return field

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


def texts_over_limits(model) -> list[str]:
    """One line per stored text of `model` longer than its field allows now, for the data
    migration that introduces the limits: such rows are reported, never truncated, so that
    someone can shorten them with care (the next save asks for it)."""
    lines = []
    for field in model._meta.get_fields():
        if not isinstance(field, _PlainText) or field.max_length is None:
            continue
        over = (
            model._base_manager.annotate(text_length=Length(field.name))
            .filter(text_length__gt=field.max_length)
            .order_by("pk")
        )
        for pk, length in over.values_list("pk", "text_length"):
            lines.append(
                _(
                    "%(model)s %(pk)s: “%(field)s” has %(length)s characters; the limit is "
                    "%(limit)s."
                )
                % {
                    "model": capfirst(model._meta.verbose_name),
                    "pk": pk,
                    "field": capfirst(field.verbose_name),
                    "length": number_format(length, force_grouping=True),
                    "limit": number_format(field.max_length, force_grouping=True),
                }
            )
    return lines


def report_texts_over_limits(app_label: str):
    """A `RunPython` operation's function that prints `texts_over_limits` of every model of the
    app (historical records included: they are kept as they were)."""

    def report(apps, schema_editor) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            for model in apps.get_app_config(app_label).get_models():
                if model._meta.model_name.startswith("historical"):
                    continue
                for line in texts_over_limits(model):
                    # Shown in `migrate`'s own output, where whoever deploys reads it.
                    print(f"  {line}")

    return report
