from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from klockaretorpet.concurrency import VersionedModelForm
from klockaretorpet.numbers import decimal_text
from klockaretorpet.uploads import SpreadsheetUploadValidator
from plans.models import Indicator

from .models import ActivityReview, PlanVersion


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
            "assessment": forms.RadioSelect,
            "done": forms.Textarea(attrs={"rows": 4}),
            "deviations": forms.Textarea(attrs={"rows": 3}),
            "next_step": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, indicators: list[Indicator], values: dict[int, Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.initial["version"] = self.NOT_YET_REPORTED
        self.fields["assessment"].choices = [
            choice for choice in self.fields["assessment"].choices if choice[0]
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
                initial=values.get(indicator.pk),
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and cleaned.get("version") != self.NOT_YET_REPORTED:
            # A form for an existing report, posted where none exists (it was deleted).
            raise forms.ValidationError(_("The report no longer exists. Reload the page."))
        return cleaned

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
