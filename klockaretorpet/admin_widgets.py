"""Admin widgets whose lists of options are a group named after their field.

The admin's form row puts a field's label beside a list of radios or checkboxes with no `for`:
a label names one input, not a list. Without a group, a screen reader reads each option alone
and never the question they answer (WCAG 1.3.1, 4.1.2).
"""

from django import forms
from django.contrib.admin import widgets


class ChoiceGroupMixin:
    template_name = "admin/widgets/choice_group.html"
    group_role = "group"

    def __init__(self, *args, group_label="", **kwargs):
        super().__init__(*args, **kwargs)
        # Not in `attrs`: those go onto every option's input.
        self.group_label = group_label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["group_role"] = self.group_role
        context["widget"]["group_label"] = self.group_label
        return context


class GroupedRadioSelect(ChoiceGroupMixin, widgets.AdminRadioSelect):
    group_role = "radiogroup"


class GroupedCheckboxSelectMultiple(ChoiceGroupMixin, forms.CheckboxSelectMultiple):
    pass


def name_group(formfield):
    """Name a grouped widget after its form field's label, once the label is known (a form's
    Meta.labels can change it after the widget was made)."""
    if formfield is not None and isinstance(formfield.widget, ChoiceGroupMixin):
        formfield.widget.group_label = formfield.label
    return formfield
