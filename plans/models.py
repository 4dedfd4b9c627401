"""The activity plan: the concrete activities that carry out a declaration's strategies."""

from __future__ import annotations

import datetime
import functools
import operator
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from klockaretorpet.concurrency import VersionedModel
from klockaretorpet.plain_text import PlainCharField, PlainTextField
from strategies.models import (
    IntentDeclaration,
    Organisation,
    ProgrammeGoal,
    Strategy,
    SuccessFactor,
)


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    ARCHIVED = "archived", _("archived")


class ActivityPlanQuerySet(models.QuerySet):
    def current_first(self) -> ActivityPlanQuerySet:
        """The active plan first, then drafts, then archived ones; newest first within each."""
        return self.order_by(
            models.Case(
                models.When(status=PlanStatus.ACTIVE, then=0),
                models.When(status=PlanStatus.DRAFT, then=1),
                default=2,
            ),
            "-start_year",
            "-created_at",
        )

    def current(self) -> ActivityPlan | None:
        """The plan people mean by “the activity plan” of a declaration."""
        return self.current_first().first()

    def lock(self, pk: int) -> ActivityPlan:
        """The plan, its row locked until the transaction ends.

        Everything that writes a plan's activities as a whole or gives them codes (code
        assignment, the Excel import, the round import, the declaration copy, closing a round,
        a revision) takes this first, so two such writers on one plan run one after the other.
        Readers are not held up, nor are writes that merely refer to the plan: it is a NO KEY
        UPDATE lock on PostgreSQL, and SQLite lets one writer in at a time anyway.
        """
        return self.select_for_update(no_key=True).get(pk=pk)


class ActivityPlanManager(models.Manager.from_queryset(ActivityPlanQuerySet)):
    def get_by_natural_key(self, declaration_slug: str, name: str):
        return self.get(declaration__slug=declaration_slug, name=name)


class ActivityPlan(models.Model):
    declaration = models.ForeignKey(
        IntentDeclaration,
        verbose_name=_("intent declaration"),
        on_delete=models.PROTECT,
        related_name="activity_plans",
    )
    name = PlainCharField(_("name"), max_length=200)
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(
        _("last year"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a plan that runs until further notice."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PlanStatus,
        default=PlanStatus.DRAFT,
        help_text=_(
            "A plan can only be made active when every activity has a schedule, a responsible "
            "organisation, a measure of success and a type."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()
    objects = ActivityPlanManager()

    class Meta:
        ordering = ["declaration_id", "-start_year", "name"]
        verbose_name = _("activity plan")
        verbose_name_plural = _("activity plans")
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "name"],
                name="plan_unique_name_per_declaration",
                violation_error_message=_("The declaration already has a plan with this name."),
            ),
            models.CheckConstraint(
                condition=Q(end_year__isnull=True) | Q(end_year__gte=models.F("start_year")),
                name="plan_period_end_not_before_start",
                violation_error_message=_("The last year cannot be before the first year."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str, str]:
        return (*self.declaration.natural_key(), self.name)

    natural_key.dependencies = ["strategies.intentdeclaration"]

    @property
    def period_label(self) -> str:
        if self.end_year is None:
            return f"{self.start_year}–"
        if self.end_year == self.start_year:
            return str(self.start_year)
        return f"{self.start_year}–{self.end_year}"

    def covers_year(self, year: int) -> bool:
        return year >= self.start_year and (self.end_year is None or year <= self.end_year)

    def clean(self) -> None:
        super().clean()
        if self.status == PlanStatus.ACTIVE and self.pk:
            incomplete = list(
                self.activities.incomplete().order_by("code_prefix", "code_serial")[:50]
            )
            if incomplete:
                listing = "; ".join(
                    f"{activity.reference_code} {activity.title} "
                    f"({', '.join(activity.missing_part_labels)})"
                    for activity in incomplete
                )
                raise ValidationError(
                    {
                        "status": ngettext(
                            "The plan cannot be made active while %(count)d activity is "
                            "incomplete: %(listing)s",
                            "The plan cannot be made active while %(count)d activities are "
                            "incomplete: %(listing)s",
                            len(incomplete),
                        )
                        % {"count": len(incomplete), "listing": listing}
                    }
                )


class ActivityType(models.TextChoices):
    # The labels are the seed document's own words for the three kinds of activity.
    COMMISSIONED = (
        "commissioned",
        _("Commissioned by a board or company management, or an already decided budget"),
    )
    EXISTING_BUDGET = (
        "existing_budget",
        _(
            "Can be carried out within the existing budget, e.g. simple studies, operational "
            "measures, simple improvements of the physical environment"
        ),
    )
    INVESTMENT = (
        "investment",
        _("Longer-term, reasonable to request or propose investment funds for"),
    )

    @property
    def short_label(self) -> str:
        return ACTIVITY_TYPE_SHORT_LABELS[self]


ACTIVITY_TYPE_SHORT_LABELS = {
    ActivityType.COMMISSIONED: _("Commissioned or budgeted"),
    ActivityType.EXISTING_BUDGET: _("Within existing budget"),
    ActivityType.INVESTMENT: _("Longer term (investment)"),
}


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    ONGOING = "ongoing", _("ongoing")
    DONE = "done", _("done")
    PAUSED = "paused", _("paused")
    CANCELLED = "cancelled", _("cancelled")


# An activity in one of these has nothing left to do: it is never late.
FINISHED_STATUSES = (ActivityStatus.DONE, ActivityStatus.CANCELLED)


class MissingPart(models.TextChoices):
    """What the seed requires of every activity: tidplan, ansvar, mätbarhet (and a type)."""

    SCHEDULE = "schedule", _("schedule")
    RESPONSIBILITY = "responsibility", _("responsibility")
    MEASURABILITY = "measurability", _("measurability")
    TYPE = "type", _("activity type")


def schedule_text(start: datetime.date | None, end: datetime.date | None, note: str) -> str:
    """A schedule in the active language: “mars 2024 – december 2025”, the note where dates
    are missing. An activity's, or one a plan version froze."""
    if not (start or end):
        return note
    start_text = date_format(start, "YEAR_MONTH_FORMAT") if start else "?"
    end_text = date_format(end, "YEAR_MONTH_FORMAT") if end else "?"
    label = start_text if start == end else f"{start_text} – {end_text}"
    return f"{label} ({note})" if note else label


def incomplete_conditions() -> dict[MissingPart, Q]:
    """Database twin of `Activity.missing_parts`; keep the two in step."""
    return {
        MissingPart.SCHEDULE: (Q(planned_start__isnull=True) | Q(planned_end__isnull=True))
        & Q(schedule_note=""),
        MissingPart.RESPONSIBILITY: Q(lead_organisation__isnull=True),
        MissingPart.MEASURABILITY: Q(measurability="")
        & ~Exists(Indicator.objects.filter(activity=OuterRef("pk"))),
        MissingPart.TYPE: Q(activity_type=""),
    }


class ActivityQuerySet(models.QuerySet):
    def for_tree(self) -> ActivityQuerySet:
        """Everything a list of activities shows, in a fixed number of queries."""
        return self.select_related("plan", "strategy__goal", "lead_organisation").prefetch_related(
            "co_organisations",
            "indicators",
        )

    def for_overview(self) -> ActivityQuerySet:
        """What the plan's overview counts and lists: goal, lead organisation, indicators."""
        return self.select_related("strategy__goal", "lead_organisation").prefetch_related(
            "indicators"
        )

    def for_round_page(self) -> ActivityQuerySet:
        """What a follow-up round's page shows of each activity, in code order."""
        return (
            self.select_related("strategy__goal", "lead_organisation__parent")
            .prefetch_related("co_organisations")
            .in_code_order()
        )

    def for_review(self) -> ActivityQuerySet:
        """What an activity's follow-up report shows of it: its place, ansvar and indicators."""
        return self.select_related("strategy__goal", "lead_organisation").prefetch_related(
            "co_organisations",
            "indicators",
        )

    def in_code_order(self) -> ActivityQuerySet:
        return self.order_by("code_prefix", "code_serial")

    def incomplete(self) -> ActivityQuerySet:
        combined = Q()
        for condition in incomplete_conditions().values():
            combined |= condition
        return self.filter(combined)

    def complete(self) -> ActivityQuerySet:
        return self.exclude(pk__in=self.incomplete().values("pk"))

    def missing(self, part: MissingPart) -> ActivityQuerySet:
        return self.filter(incomplete_conditions()[part])

    def responsible_for(self, organisation_ids, *, leads=True, shares=True) -> ActivityQuerySet:
        """The activities one of these organisations leads (`leads`) or shares responsibility
        for (`shares`)."""
        conditions = []
        if leads:
            conditions.append(Q(lead_organisation__in=organisation_ids))
        if shares:
            co_led = Activity.co_organisations.through.objects.filter(
                organisation__in=organisation_ids
            )
            conditions.append(Q(pk__in=co_led.values("activity")))
        if not conditions:
            return self.none()
        return self.filter(functools.reduce(operator.or_, conditions))

    def late(self, today: datetime.date | None = None) -> ActivityQuerySet:
        """Database twin of `Activity.late_reasons`; keep the two in step."""
        this_month = (today or timezone.localdate()).replace(day=1)
        return self.exclude(status__in=FINISHED_STATUSES).filter(
            Q(planned_end__lt=this_month)
            | Q(status=ActivityStatus.PLANNED, planned_start__lt=this_month)
        )


class ActivityManager(models.Manager.from_queryset(ActivityQuerySet)):
    def get_by_natural_key(self, declaration_slug: str, plan_name: str, reference_code: str):
        return self.get(
            plan__declaration__slug=declaration_slug,
            plan__name=plan_name,
            reference_code=reference_code,
        )


REFERENCE_CODE_PATTERN = re.compile(r"^(?P<prefix>\d+\.\d+)\.(?P<serial>\d+)$")


class ActivityCodeSequence(models.Model):
    """The last serial handed out per plan and `målbild.strategi` prefix.

    Kept apart from the activities so a deleted activity's code is never handed out again.
    """

    plan = models.ForeignKey(
        ActivityPlan,
        verbose_name=_("activity plan"),
        on_delete=models.CASCADE,
        related_name="code_sequences",
    )
    prefix = models.CharField(_("prefix"), max_length=20)
    last_serial = models.PositiveIntegerField(_("last serial"), default=0)

    class Meta:
        ordering = ["plan_id", "prefix"]
        verbose_name = _("reference code sequence")
        verbose_name_plural = _("reference code sequences")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "prefix"], name="code_sequence_unique_prefix_per_plan"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.prefix}.{self.last_serial}"

    @classmethod
    @transaction.atomic
    def next_code(cls, *, plan: ActivityPlan, strategy: Strategy) -> str:
        # The sequence row's lock alone is not enough: for a new prefix the row does not exist
        # yet, and an import writes codes of its own without passing through here. Every
        # writer of the plan's codes takes the plan's lock first.
        ActivityPlan.objects.lock(plan.pk)
        drawer = CodeDrawer(plan, prefixes=[strategy.number])
        code = drawer.draw(strategy.number)
        drawer.save()
        return code


class CodeDrawer:
    """Hands out a plan's next reference codes for many new activities at once: reads the last
    serial of every prefix in two queries, draws in memory and records the serials in `save()`.

    The caller holds the plan's lock (`ActivityPlan.objects.lock`) from before the drawer reads
    until the activities are written, or the codes are only a preview of what they would be.
    """

    def __init__(self, plan: ActivityPlan, *, prefixes=None, lock: bool = True):
        self.plan = plan
        sequences = ActivityCodeSequence.objects.filter(plan=plan)
        if lock:
            sequences = sequences.select_for_update()
        in_use = Activity.objects.filter(plan=plan)
        if prefixes is not None:
            sequences = sequences.filter(prefix__in=prefixes)
            in_use = in_use.filter(code_prefix__in=prefixes)
        self._sequences = {sequence.prefix: sequence for sequence in sequences}
        # Codes can also arrive from fixtures or imports without passing through a sequence.
        highest = dict(
            in_use.order_by()
            .values("code_prefix")
            .annotate(highest=models.Max("code_serial"))
            .values_list("code_prefix", "highest")
        )
        self._last = {
            prefix: max(
                highest.get(prefix) or 0,
                sequence.last_serial if (sequence := self._sequences.get(prefix)) else 0,
            )
            for prefix in {*highest, *self._sequences}
        }
        self._drawn: set[str] = set()

    def draw(self, prefix: str) -> str:
        serial = self._last.get(prefix, 0) + 1
        self._last[prefix] = serial
        self._drawn.add(prefix)
        return f"{prefix}.{serial}"

    def take(self, code: str) -> None:
        """A code given in full (a re-imported activity): never hand it out again."""
        match = REFERENCE_CODE_PATTERN.match(code or "")
        if match:
            prefix, serial = match["prefix"], int(match["serial"])
            if serial > self._last.get(prefix, 0):
                self._last[prefix] = serial
                self._drawn.add(prefix)

    def save(self) -> None:
        changed, new = [], []
        for prefix in self._drawn:
            sequence = self._sequences.get(prefix)
            if sequence is None:
                new.append(
                    ActivityCodeSequence(
                        plan=self.plan, prefix=prefix, last_serial=self._last[prefix]
                    )
                )
            elif sequence.last_serial != self._last[prefix]:
                sequence.last_serial = self._last[prefix]
                changed.append(sequence)
        ActivityCodeSequence.objects.bulk_create(new)
        ActivityCodeSequence.objects.bulk_update(changed, ["last_serial"])
        self._drawn.clear()


class Activity(VersionedModel):
    plan = models.ForeignKey(
        ActivityPlan,
        verbose_name=_("activity plan"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    strategy = models.ForeignKey(
        Strategy,
        verbose_name=_("strategy"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    reference_code = models.CharField(
        _("reference code"),
        max_length=20,
        blank=True,
        help_text=_(
            "Goal.strategy.serial, e.g. 2.1.3. Assigned when the activity is created and never "
            "changed or reused, even if the activity moves to another strategy."
        ),
    )
    # Derived from reference_code so that 1.1.10 sorts after 1.1.9.
    code_prefix = models.CharField(max_length=20, editable=False, default="")
    code_serial = models.PositiveIntegerField(editable=False, default=0)
    title = PlainCharField(_("title"), max_length=300)
    description = PlainTextField(_("description"), max_length=1500, blank=True)
    activity_type = models.CharField(
        _("activity type"), max_length=30, choices=ActivityType, blank=True
    )
    planned_start = models.DateField(
        _("planned start"), null=True, blank=True, help_text=_("Month precision.")
    )
    planned_end = models.DateField(
        _("planned end"), null=True, blank=True, help_text=_("Month precision.")
    )
    schedule_note = PlainCharField(
        _("schedule note"),
        max_length=100,
        blank=True,
        help_text=_("Free text such as “HT 2023” or “ongoing”, shown where dates are missing."),
    )
    lead_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("lead organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_activities",
    )
    co_organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("co-responsible organisations"),
        related_name="co_led_activities",
        blank=True,
    )
    responsible_unit = PlainCharField(
        _("responsible unit or contact"),
        max_length=200,
        blank=True,
        help_text=_("Prefer a unit or role to a person's name."),
    )
    measurability = PlainTextField(
        _("measurability"),
        max_length=500,
        blank=True,
        help_text=_("How the success of the activity is measured."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ActivityStatus, default=ActivityStatus.PLANNED
    )
    success_factors = models.ManyToManyField(
        SuccessFactor,
        verbose_name=_("critical success factors"),
        related_name="activities",
        blank=True,
    )
    programme_goals = models.ManyToManyField(
        ProgrammeGoal,
        verbose_name=_("programme goals"),
        related_name="activities",
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[co_organisations, success_factors, programme_goals])
    objects = ActivityManager()

    class Meta:
        ordering = ["plan_id", "code_prefix", "code_serial"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "reference_code"],
                name="activity_unique_reference_code_per_plan",
                violation_error_message=_(
                    "Another activity in this plan already has this reference code."
                ),
            ),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gte=models.F("planned_start")),
                name="activity_end_not_before_start",
                violation_error_message=_("The planned end cannot be before the planned start."),
            ),
        ]
        indexes = [models.Index(fields=["plan", "code_prefix", "code_serial"])]

    def __str__(self) -> str:
        return f"{self.reference_code} {self.title}".strip()

    def save(self, *args, **kwargs) -> None:
        if not self.reference_code:
            # Every way an activity is created (admin, portal, import, shell) must get a code.
            # The row is written in the transaction that drew the code, so the plan's lock
            # lasts until the code is taken. No savepoint: a failed insert spoils the caller's
            # transaction just as Django's own save does.
            with transaction.atomic(savepoint=False):
                self.reference_code = ActivityCodeSequence.next_code(
                    plan=self.plan, strategy=self.strategy
                )
                self.save(*args, **kwargs)
            return
        self.split_code()
        super().save(*args, **kwargs)

    def split_code(self) -> None:
        """Derive the sortable parts of the reference code (also for `bulk_create`)."""
        match = REFERENCE_CODE_PATTERN.match(self.reference_code)
        if match:
            self.code_prefix, self.code_serial = match["prefix"], int(match["serial"])

    def get_absolute_url(self) -> str:
        return reverse("plans:activity-detail", kwargs={"pk": self.pk})

    def natural_key(self) -> tuple[str, str, str]:
        return (*self.plan.natural_key(), self.reference_code)

    natural_key.dependencies = ["plans.activityplan"]

    def clean(self) -> None:
        super().clean()
        errors = {}
        for name in ("planned_start", "planned_end"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value.replace(day=1))
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The planned end cannot be before the planned start.")
        if (
            self.plan_id
            and self.strategy_id
            and self.strategy.goal.declaration_id != self.plan.declaration_id
        ):
            errors["strategy"] = _(
                "The strategy “%(strategy)s” belongs to another intent declaration than the "
                "plan “%(plan)s”."
            ) % {"strategy": self.strategy, "plan": self.plan}
        if self.reference_code and not REFERENCE_CODE_PATTERN.match(self.reference_code):
            errors["reference_code"] = _(
                "A reference code is three numbers separated by dots, e.g. 2.1.3."
            )
        if self._moves_onto_a_taken_code():
            errors["plan"] = _(
                "The plan “%(plan)s” already has an activity %(code)s. A reference code never "
                "changes, so this activity cannot move there; create it anew in that plan."
            ) % {"plan": self.plan, "code": self.reference_code}
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remembered so that moving to another plan can be checked against its codes, which the
        # admin form's own uniqueness check skips (the code is not one of its fields).
        instance._loaded_plan_id = instance.__dict__.get("plan_id")
        return instance

    def _moves_onto_a_taken_code(self) -> bool:
        loaded = getattr(self, "_loaded_plan_id", None)
        if not (self.pk and self.reference_code and loaded and self.plan_id != loaded):
            return False
        taken = Activity.objects.filter(plan_id=self.plan_id, reference_code=self.reference_code)
        return taken.exclude(pk=self.pk).exists()

    @property
    def missing_parts(self) -> list[MissingPart]:
        """Python twin of `incomplete_conditions()`; uses prefetched indicators when present."""
        missing = []
        if not (self.planned_start and self.planned_end) and not self.schedule_note:
            missing.append(MissingPart.SCHEDULE)
        if self.lead_organisation_id is None:
            missing.append(MissingPart.RESPONSIBILITY)
        if not self.measurability and (self.pk is None or not self.indicators.all()):
            missing.append(MissingPart.MEASURABILITY)
        if not self.activity_type:
            missing.append(MissingPart.TYPE)
        return missing

    @property
    def missing_part_labels(self) -> list[str]:
        return [str(part.label) for part in self.missing_parts]

    @property
    def is_complete(self) -> bool:
        return not self.missing_parts

    def late_reasons(self, today: datetime.date | None = None) -> list[str]:
        """Why the activity is behind its tidplan, in words; empty when it is not.

        Month precision: a plan month is passed once the next month has begun. Late is the
        planned end passed, or the planned start passed while the activity is still planned;
        never when it is done or cancelled. `ActivityQuerySet.late` is the database twin.
        """
        if self.status in FINISHED_STATUSES:
            return []
        this_month = (today or timezone.localdate()).replace(day=1)
        reasons = []
        if self.planned_end and self.planned_end < this_month:
            reasons.append(gettext("planned end has passed"))
        if (
            self.status == ActivityStatus.PLANNED
            and self.planned_start
            and self.planned_start < this_month
        ):
            reasons.append(gettext("planned start has passed but it has not started"))
        return reasons

    @property
    def is_late(self) -> bool:
        """Late today (`late_reasons`): what the plan pages' "Late" badge shows."""
        return bool(self.late_reasons())

    @property
    def schedule_label(self) -> str:
        """“mars 2024 – december 2025”, or the schedule note where dates are missing."""
        return schedule_text(self.planned_start, self.planned_end, self.schedule_note)

    @property
    def activity_type_short_label(self) -> str:
        return ActivityType(self.activity_type).short_label if self.activity_type else ""


class Indicator(models.Model):
    """A quantitative measure of an activity's success."""

    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    name = PlainCharField(_("name"), max_length=200)
    unit = PlainCharField(_("unit"), max_length=40, blank=True, help_text=_("e.g. %, st, kr"))
    baseline_value = models.DecimalField(
        _("baseline value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    target_value = models.DecimalField(
        _("target value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target_year = models.PositiveSmallIntegerField(_("target year"), null=True, blank=True)
    higher_is_better = models.BooleanField(
        _("higher is better"),
        default=True,
        help_text=_("Untick when a lower value is the improvement, e.g. reported crimes."),
    )
    kolada_kpi = models.CharField(
        _("Kolada KPI"),
        max_length=20,
        blank=True,
        help_text=_("Optional id of the matching key figure in Kolada, e.g. N00914."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["activity_id", "position", "pk"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.CheckConstraint(
                condition=Q(baseline_year__isnull=True)
                | Q(target_year__isnull=True)
                | Q(target_year__gte=models.F("baseline_year")),
                name="indicator_target_year_not_before_baseline_year",
                violation_error_message=_("The target year cannot be before the baseline year."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def progress(self, latest: Decimal | None) -> int | None:
        """How far `latest` has come from the baseline to the target, in per cent; None when
        there is no value, baseline or target to measure it by."""
        baseline, target = self.baseline_value, self.target_value
        if latest is None or baseline is None or target is None or target == baseline:
            return None
        return round(100 * (latest - baseline) / (target - baseline))

    def verdict(self, latest: Decimal | None) -> str:
        """`latest` against the target and the baseline, in words."""
        if latest is None:
            return gettext("no value reported yet")
        target, baseline = self.target_value, self.baseline_value
        if target is not None and (latest == target or self._better(latest, target)):
            return gettext("target reached")
        if baseline is not None:
            if latest == baseline:
                return gettext("same as the baseline")
            if self._better(latest, baseline):
                return gettext("better than the baseline")
            return gettext("worse than the baseline")
        return gettext("target not reached yet") if target is not None else ""

    def _better(self, value: Decimal, than: Decimal) -> bool:
        return value > than if self.higher_is_better else value < than

    def clean(self) -> None:
        super().clean()
        if (
            self.baseline_year is not None
            and self.target_year is not None
            and self.target_year < self.baseline_year
        ):
            raise ValidationError(
                {"target_year": _("The target year cannot be before the baseline year.")}
            )
        # In an admin inline under a new activity the activity is set but not yet saved.
        activity = self.activity if self.activity_id or Indicator.activity.is_cached(self) else None
        if self.target_year is not None and activity is not None and activity.plan_id:
            plan = activity.plan
            if not plan.covers_year(self.target_year):
                raise ValidationError(
                    {
                        "target_year": _(
                            "The target year %(year)s is outside the plan's period %(period)s."
                        )
                        % {"year": self.target_year, "period": plan.period_label}
                    }
                )
