"""The error summary's lines (templates/includes/error_summary.html)."""

from django import forms, template
from django.utils.translation import gettext

register = template.Library()

# Django's own messages say nothing of which field they belong to ("Detta fält måste fyllas i."):
# out of the field's context, in the summary, they are preceded by the field's label.
_GENERIC = ("required", "invalid_choice", "invalid", "max_length", "min_length")


def _is_generic(field: forms.Field, message: str) -> bool:
    defaults = {}
    for klass in reversed(type(field).__mro__):
        defaults.update(getattr(klass, "default_error_messages", {}))
    return any(
        key in defaults and message.startswith(str(defaults[key]).split("%(")[0].rstrip(". "))
        for key in _GENERIC
    )


def _target(bound_field) -> str:
    widget = bound_field.field.widget
    # A list of radios or checkboxes is reached through its first option.
    if getattr(widget, "input_type", None) in {"radio", "checkbox"} and bound_field.use_fieldset:
        return f"{bound_field.auto_id}_0"
    return bound_field.id_for_label


@register.simple_tag
def error_summary_lines(form) -> list[dict]:
    lines = [{"text": error} for error in form.non_field_errors()]
    for bound_field in form.hidden_fields():
        lines += [{"text": error} for error in bound_field.errors]
    for bound_field in form.visible_fields():
        for error in bound_field.errors:
            text = error
            if _is_generic(bound_field.field, error):
                text = gettext("%(field)s: %(message)s") % {
                    "field": bound_field.label,
                    "message": error,
                }
            lines.append({"text": text, "href": f"#{_target(bound_field)}"})
    return lines
