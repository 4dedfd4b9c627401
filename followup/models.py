"""The yearly follow-up: a round per plan and year, a review per activity, and the immutable
plan versions that closing a round (or adopting a revision) writes."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from klockaretorpet.concurrency import VersionedModel
from klockaretorpet.plain_text import PlainCharField, PlainTextField
from plans.models import Activity, ActivityPlan, ActivityStatus, Indicator


class ImmutableError(PermissionDenied):
    """A closed round, its reviews or a written plan version was about to be changed. A
    PermissionDenied, so that any request that gets this far ends in 403, never in a write."""


class Assessment(models.TextChoices):
    # Green / yellow / red in the plan's own words; always printed as words too.
    ON_TRACK = "on_track", _("on track")
    DEVIATION = "deviation", _("deviation")
    SERIOUS_DEVIATION = "serious_deviation", _("serious deviation")


class AssessmentOutcome(models.TextChoices):
    """What a round says of an activity: its report's assessment, or that nobody reported it.
    Filters, charts and summaries count by it; a report itself takes an `Assessment`."""

    ON_TRACK = Assessment.ON_TRACK.value, _("on track")
    DEVIATION = Assessment.DEVIATION.value, _("deviation")
    SERIOUS_DEVIATION = Assessment.SERIOUS_DEVIATION.value, _("serious deviation")
    NOT_REPORTED = "not_reported", _("not reported")


class FollowUpState(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class FollowUpQuerySet(models.QuerySet):
    def open(self) -> FollowUpQuerySet:
        return self.filter(state=FollowUpState.OPEN)

    def for_page(self) -> FollowUpQuerySet:
        """What every page of a round shows besides its reports: the plan and who closed it."""
        return self.select_related("plan__declaration__district", "closed_by")

    def due(self, *, days: int, today: datetime.date) -> FollowUpQuerySet:
        """Open rounds whose deadline is at most `days` days away, or has already passed."""
        return (
            self.open()
            .filter(deadline__lte=today + datetime.timedelta(days=days))
            .select_related("plan")
            .order_by("deadline", "plan__name", "year")
        )

    def latest_of(self, plan: ActivityPlan) -> FollowUp | None:
        """The plan's most recent round, open or closed."""
        return self.filter(plan=plan).order_by("-year").first()


class FollowUp(models.Model):
    plan = models.ForeignKey(
        ActivityPlan,
        verbose_name=_("activity plan"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    meeting_date = models.DateField(_("review meeting"), null=True, blank=True)
    deadline = models.DateField(
        _("reporting deadline"), help_text=_("The date by which every activity is reported.")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=FollowUpState, default=FollowUpState.OPEN
    )
    summary = PlainTextField(_("summary"), max_length=4000, blank=True)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    history = HistoricalRecords()

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["plan_id", "-year"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "year"],
                name="followup_one_round_per_plan_and_year",
                violation_error_message=_("The plan already has a follow-up for this year."),
            )
        ]

    def __str__(self) -> str:
        return _("Follow-up %(year)s of %(plan)s") % {"year": self.year, "plan": self.plan}

    def save(self, *args, **kwargs) -> None:
        # Closing itself is the last save a round gets: the stored state decides, not this copy.
        if self.pk and _stored_round_is_closed(self.pk):
            raise ImmutableError(_("A closed follow-up cannot be changed."))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("followup:round-detail", kwargs={"pk": self.pk})

    def delete(self, *args, **kwargs):
        if self.pk and _stored_round_is_closed(self.pk):
            raise ImmutableError(_("A closed follow-up cannot be deleted."))
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.plan_id and self.year and not self.plan.covers_year(self.year):
            raise ValidationError(
                {
                    "year": _("The year %(year)s is outside the plan's period %(period)s.")
                    % {"year": self.year, "period": self.plan.period_label}
                }
            )

    @property
    def is_open(self) -> bool:
        return self.state == FollowUpState.OPEN


def _stored_round_is_closed(follow_up_id: int) -> bool:
    return FollowUp.objects.filter(pk=follow_up_id, state=FollowUpState.CLOSED).exists()


class ActivityReviewQuerySet(models.QuerySet):
    def for_progress(self) -> ActivityReviewQuerySet:
        """Only what a round's progress shows of each report: its assessment, who and when."""
        return self.select_related("reviewed_by").only(
            "activity_id", "assessment", "reviewed_at", "reviewed_by", "follow_up_id"
        )

    def of_activity(self, activity: Activity) -> ActivityReview | None:
        """The activity's report (in the round this set is of), with who reported it."""
        return self.select_related("reviewed_by").filter(activity=activity).first()

    def by_activity(self) -> dict[int, ActivityReview]:
        return {review.activity_id: review for review in self}

    def assessment_by_activity(self) -> dict[int, str]:
        return dict(self.values_list("activity_id", "assessment"))

    def closed(self) -> ActivityReviewQuerySet:
        """Reports of closed rounds: final, never changed again."""
        return self.filter(follow_up__state=FollowUpState.CLOSED)

    def previous_of(self, follow_up: FollowUp, activity: Activity) -> ActivityReview | None:
        """The activity's report in the latest closed round of the same plan before this one."""
        return (
            self.closed()
            .filter(
                activity=activity,
                follow_up__plan=follow_up.plan_id,
                follow_up__year__lt=follow_up.year,
            )
            .select_related("follow_up")
            .order_by("-follow_up__year")
            .first()
        )


class ActivityReview(VersionedModel):
    follow_up = models.ForeignKey(
        FollowUp, verbose_name=_("follow-up"), on_delete=models.PROTECT, related_name="reviews"
    )
    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="reviews"
    )
    assessment = models.CharField(_("assessment"), max_length=20, choices=Assessment)
    done = PlainTextField(_("what was done"), max_length=1500)
    deviations = PlainTextField(
        _("deviations and why"),
        max_length=1000,
        blank=True,
        help_text=_("Required when the assessment is a deviation."),
    )
    next_step = PlainTextField(_("next step"), max_length=500, blank=True)
    new_status = models.CharField(_("new status"), max_length=20, choices=ActivityStatus)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reported"), auto_now=True)

    history = HistoricalRecords()

    objects = ActivityReviewQuerySet.as_manager()

    class Meta:
        ordering = ["follow_up_id", "activity__code_prefix", "activity__code_serial"]
        verbose_name = _("activity review")
        verbose_name_plural = _("activity reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "activity"],
                name="review_one_per_activity_and_round",
                violation_error_message=_("The activity has already been reported in this round."),
            )
        ]

    def __str__(self) -> str:
        return _("Review of %(activity)s") % {"activity": self.activity.reference_code}

    @classmethod
    def draft(cls, follow_up: FollowUp, activity: Activity) -> ActivityReview:
        """A report not yet written, starting from the activity's current status."""
        return cls(follow_up=follow_up, activity=activity, new_status=activity.status)

    def actual_values(self) -> dict[int, Decimal | None]:
        """The reported indicator values by indicator id."""
        return {value.indicator_id: value.actual_value for value in self.indicator_values.all()}

    def save(self, *args, **kwargs) -> None:
        _refuse_when_closed(self.follow_up_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_when_closed(self.follow_up_id)
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors = {}
        if (
            self.assessment in (Assessment.DEVIATION, Assessment.SERIOUS_DEVIATION)
            and not self.deviations.strip()
        ):
            errors["deviations"] = _("Describe the deviation and why it happened.")
        if (
            self.follow_up_id
            and self.activity_id
            and self.activity.plan_id != self.follow_up.plan_id
        ):
            errors["activity"] = _("The activity belongs to another plan than the follow-up.")
        if errors:
            raise ValidationError(errors)


class IndicatorValueQuerySet(models.QuerySet):
    def latest_per_indicator(self, plan: ActivityPlan) -> dict[int, tuple[Decimal, int]]:
        """Each indicator's latest reported value in the plan's rounds, and that round's year."""
        latest = {}
        for indicator_id, value, year in (
            self.filter(review__follow_up__plan=plan, actual_value__isnull=False)
            .order_by("review__follow_up__year", "pk")
            .values_list("indicator_id", "actual_value", "review__follow_up__year")
        ):
            latest[indicator_id] = (value, year)
        return latest


class IndicatorValue(models.Model):
    """An indicator's actual value for the round's year."""

    review = models.ForeignKey(
        ActivityReview,
        verbose_name=_("activity review"),
        on_delete=models.CASCADE,
        related_name="indicator_values",
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="values"
    )
    actual_value = models.DecimalField(
        _("actual value"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    history = HistoricalRecords()

    objects = IndicatorValueQuerySet.as_manager()

    class Meta:
        ordering = ["review_id", "indicator__position", "indicator_id"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "indicator"], name="indicator_value_one_per_review"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.actual_value}"

    def save(self, *args, **kwargs) -> None:
        _refuse_when_closed(self.review.follow_up_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_when_closed(self.review.follow_up_id)
        return super().delete(*args, **kwargs)


def _refuse_when_closed(follow_up_id: int | None) -> None:
    if follow_up_id and _stored_round_is_closed(follow_up_id):
        raise ImmutableError(_("The follow-up is closed; its reports can no longer be changed."))


class VersionKind(models.TextChoices):
    FOLLOW_UP = "follow_up", _("yearly follow-up")
    REVISION = "revision", _("revision")


class PlanVersion(models.Model):
    """An immutable snapshot of a whole plan: written once, never changed or deleted."""

    plan = models.ForeignKey(
        ActivityPlan,
        verbose_name=_("activity plan"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("reason"), max_length=20, choices=VersionKind)
    follow_up = models.OneToOneField(
        FollowUp,
        verbose_name=_("follow-up"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="version",
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    decided_by = PlainCharField(
        _("decided by"), max_length=200, blank=True, help_text=_("The board or body that decided.")
    )
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    decision_reference = PlainCharField(
        _("reference number"), max_length=100, blank=True, help_text=_("Diarienummer.")
    )
    note = PlainTextField(
        _("note"),
        max_length=2000,
        blank=True,
        help_text=_("Why the round was closed with activities unreported, or what was revised."),
    )
    snapshot = models.JSONField(_("snapshot"), editable=False)

    class Meta:
        ordering = ["plan_id", "-number"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"], name="plan_version_unique_number_per_plan"
            )
        ]

    def __str__(self) -> str:
        return _("%(plan)s, version %(number)s") % {"plan": self.plan, "number": self.number}

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableError(_("A plan version cannot be changed once written."))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("followup:version-diff", kwargs={"pk": self.pk})

    def delete(self, *args, **kwargs):
        raise ImmutableError(_("A plan version cannot be deleted."))

    def plan_data(self) -> dict:
        """The frozen plan in the current snapshot shape: how everything reads `snapshot`.
        Raises `followup.versions.SnapshotSchemaError` for one a newer release wrote."""
        from .versions import load_snapshot  # versions reads this module's choices

        return load_snapshot(self.snapshot)


class ErasureRecord(models.Model):
    """That a departed person's name was removed from a plan version (the one change a version
    gets): when, by whom and in how many places. Never the name."""

    version = models.ForeignKey(
        PlanVersion,
        verbose_name=_("plan version"),
        on_delete=models.PROTECT,
        related_name="erasures",
    )
    erased_at = models.DateTimeField(_("name removed"), auto_now_add=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    places = models.PositiveIntegerField(
        _("places"), help_text=_("How many texts of the version held the name.")
    )

    class Meta:
        ordering = ["version_id", "erased_at"]
        verbose_name = _("name removal")
        verbose_name_plural = _("name removals")

    def __str__(self) -> str:
        return _("Name removed from %(version)s") % {"version": self.version}
