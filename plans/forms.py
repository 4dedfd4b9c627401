import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klockaretorpet.concurrency import VersionedModelForm
from strategies.models import Organisation, ProgrammeGoal, SuccessFactor

from .models import Activity, ActivityStatus, ActivityType

MONTH_PATTERN = re.compile(r"^\s*(?P<year>\d{4})-(?P<month>\d{1,2})(?:-\d{1,2})?\s*$")


class MonthInput(forms.DateInput):
    """The browser's month picker; it submits and shows “2024-03”."""

    input_type = "month"

    def __init__(self, attrs=None):
        # The placeholder guides browsers without a month picker, where this is a text box.
        super().__init__({"placeholder": _("YYYY-MM"), **(attrs or {})}, format="%Y-%m")


class MonthField(forms.DateField):
    """A tidplan date: stored as the first day of the month, entered as YYYY-MM."""

    widget = MonthInput
    default_error_messages = {
        "invalid": _("Enter a month as YYYY-MM, e.g. 2024-03."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date().replace(day=1)
        if isinstance(value, datetime.date):
            return value.replace(day=1)
        match = MONTH_PATTERN.match(str(value))
        if not match:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return datetime.date(int(match["year"]), int(match["month"]), 1)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class ActivityAdminForm(VersionedModelForm):
    class Meta:
        model = Activity
        fields = [
            "plan",
            "strategy",
            "title",
            "description",
            "activity_type",
            "status",
            "planned_start",
            "planned_end",
            "schedule_note",
            "lead_organisation",
            "co_organisations",
            "responsible_unit",
            "measurability",
            "success_factors",
            "programme_goals",
            "version",
        ]
        field_classes = {"planned_start": MonthField, "planned_end": MonthField}
        # The declaration's own definitions, where an editor chooses.
        help_texts = {
            "activity_type": _(
                "The declaration's three kinds of activity: which one decides how it is "
                "financed and decided."
            ),
            # What mätbarhet means, as the field's help text so that a screen reader reads it
            # with the field (a fieldset's description is not tied to it).
            "measurability": _(
                "How you will know that the activity succeeded: describe it in words and, "
                "where it can be counted, add indicators with a baseline and a target."
            ),
        }


@dataclass(frozen=True)
class FilterExtension:
    """A filter another app adds to `ActivityFilterForm` (the follow-up adds the latest
    assessment), so that plans needs no import of the apps built on it."""

    name: str
    make_field: Callable[[], forms.Field]
    apply: Callable[[QuerySet, Any], QuerySet]


class OrganisationRole(models.TextChoices):
    """Through which part of *ansvar* the organisation filter matches an activity."""

    ANY = "any", _("lead or co-responsible")
    LEAD = "lead", _("lead only")
    CO_RESPONSIBLE = "co", _("co-responsible only")


class ActivityFilterForm(forms.Form):
    """The declaration page's filters; GET parameters so a filtered view can be shared."""

    extensions: ClassVar[list[FilterExtension]] = []

    activity_type = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("All types")), *((kind.value, kind.short_label) for kind in ActivityType)],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *ActivityStatus.choices],
    )
    lead_organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        help_text=_("Its units included; its role says whether it leads or is co-responsible."),
        required=False,
        queryset=Organisation.objects.all(),
        empty_label=_("All organisations"),
    )
    organisation_role = forms.ChoiceField(
        label=_("Organisation's role"),
        help_text=_("Whether the organisation leads the activity or shares the responsibility."),
        required=False,
        choices=OrganisationRole.choices,
    )
    success_factor = forms.ModelChoiceField(
        label=_("Critical success factor"),
        required=False,
        queryset=SuccessFactor.objects.all(),
        empty_label=_("All success factors"),
    )
    programme_goal = forms.ModelChoiceField(
        label=_("Programme goal"),
        required=False,
        queryset=ProgrammeGoal.objects.all(),
        empty_label=_("All programme goals"),
    )
    late = forms.BooleanField(
        label=_("Late"),
        help_text=_("Only activities behind their schedule today."),
        required=False,
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for extension in self.extensions:
            self.fields[extension.name] = extension.make_field()

    def filter(self, activities):
        if not self.is_valid():
            return activities
        data = self.cleaned_data
        if data["activity_type"]:
            activities = activities.filter(activity_type=data["activity_type"])
        if data["status"]:
            activities = activities.filter(status=data["status"])
        if data["lead_organisation"]:
            activities = self._by_organisation(activities, data["lead_organisation"])
        if data["late"]:
            # The same definition as the "Late" badge the rows show.
            activities = activities.late(timezone.localdate())
        if data["success_factor"]:
            activities = activities.filter(success_factors=data["success_factor"])
        if data["programme_goal"]:
            activities = activities.filter(programme_goals=data["programme_goal"])
        if data["q"].strip():
            text = data["q"].strip()
            activities = activities.filter(
                Q(reference_code__icontains=text)
                | Q(title__icontains=text)
                | Q(description__icontains=text)
                | Q(measurability__icontains=text)
                | Q(responsible_unit__icontains=text)
            )
        for extension in self.extensions:
            if data.get(extension.name):
                activities = extension.apply(activities, data[extension.name])
        return activities

    @property
    def role(self) -> OrganisationRole:
        """The organisation filter's role; "lead or co-responsible" unless one is chosen."""
        chosen = self.cleaned_data.get("organisation_role") if self.is_valid() else None
        return OrganisationRole(chosen or OrganisationRole.ANY)

    @property
    def organisation_role_phrase(self) -> str:
        """How the page's summary line says the role: "… where Hyresbostäder is {phrase}"."""
        return {
            OrganisationRole.ANY: _("lead or co-responsible"),
            OrganisationRole.LEAD: _("lead"),
            OrganisationRole.CO_RESPONSIBLE: _("co-responsible"),
        }[self.role]

    def _by_organisation(self, activities, organisation):
        """Activities where the organisation (or one of its units) has the chosen role, each
        annotated with `matched_role`: "lead" where it leads, otherwise "co", so a row can say
        why it matched."""
        units = Organisation.objects.ids_with_units(organisation.pk)
        role = self.role
        matching = activities.responsible_for(
            units,
            leads=role != OrganisationRole.CO_RESPONSIBLE,
            shares=role != OrganisationRole.LEAD,
        )
        if role == OrganisationRole.CO_RESPONSIBLE:
            matched_role = Value("co")
        else:
            leads = Q(lead_organisation__in=units)
            matched_role = Case(When(leads, then=Value("lead")), default=Value("co"))
        return matching.annotate(matched_role=matched_role)

    @property
    def is_filtering(self) -> bool:
        if not self.is_valid():
            return False
        # The role alone filters nothing: the form sends it with every submission.
        return any(
            value for name, value in self.cleaned_data.items() if name != "organisation_role"
        )
