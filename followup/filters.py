"""The latest closed follow-up's assessment as a filter of the plans' activity lists: the same
assessment the lists' column, the status strip and the overview show by default. An open round's
assessments are preliminary until it closes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from plans.forms import ActivityFilterForm, FilterExtension

from .models import ActivityReview, AssessmentOutcome, FollowUp, FollowUpState


def assessment_field() -> forms.Field:
    return forms.ChoiceField(
        label=_("Assessment"),
        help_text=_("In the plan's latest closed follow-up."),
        required=False,
        choices=[("", _("All assessments")), *AssessmentOutcome.choices],
    )


def by_latest_assessment(activities, value):
    latest = (
        FollowUp.objects.filter(plan__in=activities.values("plan"), state=FollowUpState.CLOSED)
        .order_by("-year")
        .first()
    )
    if latest is None:
        # Nothing has been assessed: every activity is "not reported".
        return activities if value == AssessmentOutcome.NOT_REPORTED else activities.none()
    reports = ActivityReview.objects.filter(follow_up=latest)
    if value == AssessmentOutcome.NOT_REPORTED:
        return activities.exclude(pk__in=reports.values("activity"))
    return activities.filter(pk__in=reports.filter(assessment=value).values("activity"))


ASSESSMENT_FILTER = FilterExtension("assessment", assessment_field, by_latest_assessment)


def register() -> None:
    if ASSESSMENT_FILTER not in ActivityFilterForm.extensions:
        ActivityFilterForm.extensions.append(ASSESSMENT_FILTER)
