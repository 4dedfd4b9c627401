from decimal import Decimal

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from klockaretorpet.concurrency import VersionedModelForm
from klockaretorpet.numbers import decimal_text
from klockaretorpet.uploads import SpreadsheetUploadValidator
from plans.models import Indicator

from .models import ActivityReview, Assessment, PlanVersion


class HintedRadioSelect(forms.RadioSelect):
    """Radio buttons each with a hint below its label, tied to the button by aria-describedby
    (rendered by includes/form_field.html)."""

    def __init__(self, *args, hints: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.hints = hints

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        hint = self.hints.get(str(value))
        if hint and option["attrs"].get("id"):
            option["hint"] = hint
            option["hint_id"] = f"{option['attrs']['id']}_hint"
            option["attrs"]["aria-describedby"] = option["hint_id"]
        return option


ASSESSMENT_HINTS = {
    Assessment.ON_TRACK: _(
        "The activity goes as planned: it keeps to its schedule and moves towards its target."
    ),
    Assessment.DEVIATION: _(
        "Something differs from the plan, but the activity can still reach its target with "
        "changes the responsible organisation makes itself."
    ),
    Assessment.SERIOUS_DEVIATION: _(
        "The activity will not reach its target or schedule without a decision by the steering "
        "group: it has stopped, lacks resources or must be changed."
    ),
}

# The deviations field must be filled in at these levels; each names its level in the message.
DEVIATION_REQUIRED_MESSAGES = {
    Assessment.DEVIATION: _(
        "Describe the deviation and its cause when the assessment is Deviation"
    ),
    Assessment.SERIOUS_DEVIATION: _(
        "Describe the deviation and its cause when the assessment is Serious deviation"
    ),
}


class ReviewForm(VersionedModelForm):
    """An activity's report in a round, with one field per indicator for this year's value.

    A form opened before any report existed carries version 0, so that saving it over a report
    someone else saved meanwhile is refused like any other stale form."""

    NOT_YET_REPORTED = 0

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=NOT_YET_REPORTED)

    class Meta:
        model = ActivityReview
        fields = ["assessment", "done", "deviations", "next_step", "new_status", "version"]
        widgets = {
            "assessment": HintedRadioSelect(hints=ASSESSMENT_HINTS),
            "done": forms.Textarea(attrs={"rows": 4}),
            "deviations": forms.Textarea(attrs={"rows": 3}),
            "next_step": forms.Textarea(attrs={"rows": 3}),
        }
        # Messages that say what to do in this very field (GOV.UK's error message pattern).
        error_messages = {
            "assessment": {"required": _("Choose how the activity went")},
            "done": {"required": _("Describe what was done during the year")},
            "new_status": {"required": _("Choose the activity's status after this year")},
        }

    def __init__(self, *args, indicators: list[Indicator], values: dict[int, Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.initial["version"] = self.NOT_YET_REPORTED
        self.fields["assessment"].choices = [
            choice for choice in self.fields["assessment"].choices if choice[0]
        ]
        # A screen reader reads Django's blank choice aloud as "dash dash dash…".
        self.fields["new_status"].choices = [
            ("", _("Choose a status")),
            *(choice for choice in self.fields["new_status"].choices if choice[0]),
        ]
        self.indicators = indicators
        for indicator in indicators:
            self.fields[self.indicator_field(indicator)] = forms.DecimalField(
                label=_("%(indicator)s: actual value") % {"indicator": indicator.name},
                help_text=_("Baseline %(baseline)s, target %(target)s%(unit)s.")
                % {
                    "baseline": decimal_text(indicator.baseline_value),
                    "target": decimal_text(indicator.target_value),
                    "unit": f" {indicator.unit}" if indicator.unit else "",
                },
                required=False,
                max_digits=14,
                decimal_places=2,
                localize=True,
                error_messages={
                    "invalid": _("Enter the actual value of %(indicator)s as a number, like 12,5")
                    % {"indicator": indicator.name}
                },
                initial=values.get(indicator.pk),
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and cleaned.get("version") != self.NOT_YET_REPORTED:
            # A form for an existing report, posted where none exists (it was deleted).
            raise forms.ValidationError(_("The report no longer exists. Reload the page."))
        missing_deviations = DEVIATION_REQUIRED_MESSAGES.get(cleaned.get("assessment"))
        if missing_deviations and not (cleaned.get("deviations") or "").strip():
            self.add_error("deviations", missing_deviations)
        return cleaned

    def _update_errors(self, errors):
        # The model checks the same rules with general words: a field the form has already
        # explained keeps only the form's own, more specific message.
        if hasattr(errors, "error_dict"):
            for field in list(errors.error_dict):
                if field in self._errors:
                    del errors.error_dict[field]
            if not errors.error_dict:
                return
        super()._update_errors(errors)

    def save(self, commit=True):
        review = super().save(commit=False)
        if review.pk is None:
            review.version = ActivityReview._meta.get_field("version").default
        if commit:
            review.save()
        return review

    @staticmethod
    def indicator_field(indicator: Indicator) -> str:
        return f"indicator_{indicator.pk}"

    def actual_values(self) -> dict[Indicator, Decimal | None]:
        return {
            indicator: self.cleaned_data.get(self.indicator_field(indicator))
            for indicator in self.indicators
        }


class OrganisationFilterForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=None, required=False, empty_label=_("All")
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class ReportState(models.TextChoices):
    """Whether an activity's report in a round is in: the round page filters by it."""

    NOT_REPORTED = "not_reported", _("Not reported")
    REPORTED = "reported", _("Reported")


class RoundFilterForm(OrganisationFilterForm):
    """The round page's filters: by lead organisation and by whether the report is in."""

    state = forms.ChoiceField(
        label=_("Report"),
        required=False,
        choices=[("", _("All")), *ReportState.choices],
    )


class CloseRoundForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for closing with unreported activities"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only needed while activities are unreported; it is kept in the version."),
    )


class RevisionForm(forms.ModelForm):
    class Meta:
        model = PlanVersion
        fields = ["decided_by", "decision_date", "decision_reference", "note"]
        widgets = {
            "decision_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 3}),
        }


class RoundImportForm(forms.Form):
    import_file = forms.FileField(
        label=_("The filled-in sheet"),
        help_text=_("The Excel file exported from this follow-up (.xlsx), or a CSV file."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].validators.append(SpreadsheetUploadValidator())
