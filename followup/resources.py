"""A follow-up round as a spreadsheet: one row per activity, its report in the same row.

`export_round_workbook` writes the file partners fill in; `import_round` reads it back through
the sheet import engine (`klockaretorpet.sheet_import`; `ReviewResource` fills in what is
particular to reports): every row or none, each problem named by row and column, reports saved
through `followup.rounds.save_review` so that the activity takes the reported status and the
history names who imported.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from import_export import fields
from import_export.results import RowResult

from klockaretorpet.numbers import decimal_text
from klockaretorpet.permissions import can_report
from klockaretorpet.plain_text import normalise_text
from klockaretorpet.sheet_import import ImportOutcome, RowKind, SheetResource, run_import
from klockaretorpet.sheet_reading import Sheet, read_sheet
from klockaretorpet.xlsx import write_workbook
from plans.import_widgets import ChoiceLabelWidget, TextWidget
from plans.import_widgets import normalise_name as normalise
from plans.indicator_cells import EMPTY as EMPTY_VALUES
from plans.models import Activity, ActivityPlan, ActivityStatus, Indicator
from strategies.models import Organisation

from .models import ActivityReview, Assessment, FollowUp, FollowUpState, IndicatorValue
from .rounds import save_review

VALUE_SEPARATOR = "; "
UNIT_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")


# --- the indicator values cell ---------------------------------------------------------------


def render_number(value: Decimal | None) -> str:
    # Read back by the round import, in Swedish whoever exported the sheet.
    return decimal_text(value, grouping=False, language="sv")


def render_indicator_values(indicators: list[Indicator], values: dict[int, Decimal | None]) -> str:
    """“Trygga boende (%): 61,5; Besök per månad: –”: every indicator of the activity, so that
    whoever fills in the sheet sees the names to report against."""
    return VALUE_SEPARATOR.join(
        f"{indicator.name}{f' ({indicator.unit})' if indicator.unit else ''}: "
        f"{render_number(values.get(indicator.pk))}"
        for indicator in indicators
    )


def _value_parts(text) -> list[str]:
    return [part for part in re.split(r"\s*;\s*", str(text or "").strip()) if part]


def indicator_cell_is_empty(text) -> bool:
    """Whether the cell gives no value: empty, or only names with “–” (as exported)."""
    for part in _value_parts(text):
        _name, colon, value = part.rpartition(":")
        if not colon or value.strip() not in EMPTY_VALUES:
            return False
    return True


def parse_indicator_values(text, activity: Activity) -> dict[int, Decimal | None]:
    """{indicator pk: value} from the cell, by indicator name (with or without its unit), any
    letter case, decimal comma or point. Raises ValidationError listing every bad part."""
    indicators = list(activity.indicators.all())
    names: dict[str, Indicator] = {}
    for indicator in indicators:
        names.setdefault(normalise(indicator.name), indicator)
        if indicator.unit:
            names.setdefault(normalise(f"{indicator.name} ({indicator.unit})"), indicator)
    amount_field = IndicatorValue._meta.get_field("actual_value")
    values: dict[int, Decimal | None] = {}
    errors: list[str] = []
    for part in _value_parts(text):
        label, colon, shown = part.rpartition(":")
        label, shown = label.strip(), shown.strip()
        if not colon or not label:
            errors.append(
                _(
                    "“%(part)s” is not an indicator value. Write each as “Name (unit): value”, "
                    "separated by semicolons."
                )
                % {"part": part}
            )
            continue
        indicator = names.get(normalise(label)) or names.get(normalise(UNIT_SUFFIX.sub("", label)))
        if indicator is None:
            errors.append(
                _("Activity %(code)s has no indicator “%(name)s”. Its indicators: %(known)s.")
                % {
                    "code": activity.reference_code,
                    "name": label,
                    "known": "; ".join(item.name for item in indicators) or "–",
                }
            )
            continue
        if indicator.pk in values:
            errors.append(
                _("Indicator “%(name)s” is given more than once.") % {"name": indicator.name}
            )
            continue
        if shown in EMPTY_VALUES:
            values[indicator.pk] = None
            continue
        cleaned = shown.replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            errors.append(
                _("Indicator “%(name)s”: “%(value)s” is not a number.")
                % {"name": indicator.name, "value": shown}
            )
            continue
        try:
            values[indicator.pk] = amount_field.clean(number, None)
        except ValidationError as error:
            errors += [f"{indicator.name}: {message}" for message in error.messages]
    if errors:
        raise ValidationError(errors)
    return values


# --- the resource ------------------------------------------------------------------------------


class IndicatorValuesField(fields.Field):
    """The one indicator values cell; read against the row's activity, written by
    `save_review` (the values are not fields of the review)."""

    def save(self, instance, row, is_m2m=False, **kwargs):
        instance._imported_values = parse_indicator_values(
            row.get(self.column_name), instance.activity
        )


def column(attribute: str, label, *, readonly: bool = False, widget=None) -> fields.Field:
    return fields.Field(
        attribute=attribute,
        column_name=label,
        readonly=readonly,
        widget=widget or TextWidget(),
    )


class ReviewResource(SheetResource):
    """The reports of one round, matched on the activity's reference code within the round's
    plan. Rows with every report cell empty are activities not reported yet and are skipped."""

    # Error keys are the attributes; the engine turns them into the column's name.
    reference_code = column("activity", _("Reference code"), readonly=True)
    title = column("title", _("Activity"), readonly=True)
    lead_organisation = column("lead_organisation", _("Lead organisation"), readonly=True)
    status_now = column("status_now", _("Status now"), readonly=True)
    assessment = column("assessment", _("Assessment"), widget=ChoiceLabelWidget(Assessment))
    done = column("done", _("What was done"))
    deviations = column("deviations", _("Deviations and why"))
    next_step = column("next_step", _("Next step"))
    new_status = column("new_status", _("New status"), widget=ChoiceLabelWidget(ActivityStatus))
    indicator_values = IndicatorValuesField(
        attribute="indicator_values", column_name=_("Indicator values"), widget=TextWidget()
    )
    last_changed = column("reviewed_at", _("Last changed"), readonly=True)

    ROW_KINDS = (
        RowKind.NEW,
        RowKind.CHANGED,
        RowKind.UNCHANGED,
        RowKind.UNREPORTED,
        RowKind.INVALID,
    )
    STALE_MESSAGE = _(
        "The report of activity %(code)s was saved by %(who)s at %(time)s on %(date)s, "
        "after the file was exported. Export the follow-up again and make your changes in "
        "the new file."
    )
    UNDATED_MESSAGE = _(
        "The report of activity %(code)s was saved by %(who)s at %(time)s on %(date)s, and "
        "the file does not show when it was exported: the column “%(column)s” is missing or "
        "empty and the file has no creation date. Export the follow-up again and make your "
        "changes in the new file, keeping that column."
    )
    # Without these the file cannot be a round's sheet.
    REQUIRED_COLUMNS = ("reference_code", "assessment", "done", "new_status")
    # The cells a report consists of; a row with all of them empty is not reported.
    REPORT_COLUMNS = (
        "assessment",
        "done",
        "deviations",
        "next_step",
        "new_status",
        "indicator_values",
    )

    class Meta:
        model = ActivityReview
        fields = export_order = (
            "reference_code",
            "title",
            "lead_organisation",
            "status_now",
            "assessment",
            "done",
            "deviations",
            "next_step",
            "new_status",
            "indicator_values",
            "last_changed",
        )
        import_id_fields = ("reference_code",)

    def __init__(self, *, follow_up: FollowUp | None = None, user=None, **kwargs):
        super().__init__(**kwargs)
        self.follow_up = follow_up
        self.user = user
        self._activities: dict[str, Activity] = {}
        self._reviews: dict[int, ActivityReview] = {}
        self._dry_run = True
        if follow_up is not None:
            self._load(follow_up)

    def _load(self, follow_up: FollowUp) -> None:
        """The round's activities and reports, read once for the whole file."""
        activities = (
            Activity.objects.filter(plan_id=follow_up.plan_id)
            .select_related("lead_organisation")
            .prefetch_related(
                "co_organisations",
                "indicators",
            )
            .in_code_order()
        )
        self._activities = {activity.reference_code: activity for activity in activities}
        self._reviews = {}
        by_pk = {activity.pk: activity for activity in self._activities.values()}
        for review in ActivityReview.objects.filter(follow_up=follow_up).prefetch_related(
            "indicator_values"
        ):
            review.follow_up = follow_up
            review.activity = by_pk[review.activity_id]
            self._reviews[review.activity_id] = review

    # --- the export row ------------------------------------------------------------------

    def export_row(self, activity: Activity, review: ActivityReview | None) -> list:
        stored = stored_values(review)
        cells = {
            "reference_code": activity.reference_code,
            "title": activity.title,
            "lead_organisation": activity.lead_organisation.name
            if activity.lead_organisation
            else "",
            "status_now": str(activity.get_status_display()),
            "assessment": "",
            "done": "",
            "deviations": "",
            "next_step": "",
            "new_status": "",
            "indicator_values": render_indicator_values(list(activity.indicators.all()), stored),
            "last_changed": None,
        }
        if review is not None:
            cells |= {
                "assessment": str(review.get_assessment_display()),
                "done": review.done,
                "deviations": review.deviations,
                "next_step": review.next_step,
                "new_status": str(review.get_new_status_display()),
                "last_changed": timezone.localtime(review.reviewed_at).replace(tzinfo=None),
            }
        return [cells[name] for name in self._meta.export_order]

    # --- the engine's hooks ------------------------------------------------------------------

    def check_target(self) -> None:
        if self.follow_up is None:
            raise ValueError(_("No follow-up was given to import into."))
        if not FollowUp.objects.filter(pk=self.follow_up.pk, state=FollowUpState.OPEN).exists():
            raise ValueError(_("The follow-up is closed; its reports can no longer be changed."))

    def prepare(self, *, dry_run: bool, using_transactions: bool) -> None:
        self._dry_run = dry_run
        if using_transactions and not dry_run:
            # Inside the import's transaction, and the plan before the round as `close_round`
            # locks them: another import of the plan or a closing runs wholly before or after
            # this one. The reports are read again under the lock, so the rows are compared
            # with what an import just before this one saved, not with the preview's reading.
            ActivityPlan.objects.lock(self.follow_up.plan_id)
            self._load(self.follow_up)

    def counts_as_row(self, row) -> bool:
        """Whether the row reports: any report cell filled in (an exported row shows the
        indicators' names with “–” for no value)."""
        for name in self.REPORT_COLUMNS:
            value = row.get(self.column_name(name))
            if name == "indicator_values":
                if not indicator_cell_is_empty(value):
                    return True
            elif value is not None and str(value).strip():
                return True
        return False

    def uncounted_row(self, row) -> RowResult:
        row_result = self.get_row_result_class()()
        row_result.import_type = RowResult.IMPORT_TYPE_SKIP
        row_result.unreported = True
        activity = self._activities.get(self.row_key(row))
        review = self._reviews.get(activity.pk) if activity else None
        if review is not None and str(row.get(self.column_name("last_changed")) or "").strip():
            # The file showed the report and its cells were emptied: that removes nothing.
            row_result.unreported = False
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = ValidationError(
                {
                    "assessment": _(
                        "Activity %(code)s has been reported; emptying the cells does not remove "
                        "the report. Fill them in again, or leave the row as it was exported."
                    )
                    % {"code": activity.reference_code}
                }
            )
        return row_result

    def repeated_message(self, key: str, earlier_row: int) -> str:
        return _(
            "Activity %(code)s is reported on row %(row)d too; report each activity on one row "
            "only."
        ) % {"code": key, "row": earlier_row}

    def key_of(self, review: ActivityReview) -> str:
        return review.activity.reference_code

    def title_of(self, review: ActivityReview) -> str:
        return review.activity.title

    def describe_new_row(self, row, changes: str) -> str:
        return _("Row %(row)d (%(code)s), new report: %(changes)s") % {
            "row": row.number,
            "code": row.key,
            "changes": changes,
        }

    def expected_keys(self) -> dict[str, str]:
        """The round's activities the importing user may report."""
        return {
            code: activity.title
            for code, activity in self._activities.items()
            if self.user is None or can_report(self.user, self.follow_up, activity)
        }

    def changed_at(self, review: ActivityReview):
        return review.reviewed_at

    # --- import hooks ----------------------------------------------------------------------

    def get_import_fields(self):
        return [item for item in super().get_import_fields() if not item.readonly]

    def get_or_init_instance(self, instance_loader, row):
        code = self.row_key(row)
        if not code:
            raise ValidationError(
                {"activity": _("The row has no reference code, which tells whose report it is.")}
            )
        activity = self._activities.get(code)
        if activity is None:
            raise ValidationError(
                {
                    "activity": _("The plan %(plan)s has no activity %(code)s.")
                    % {"plan": self.follow_up.plan, "code": code}
                }
            )
        review = self._reviews.get(activity.pk)
        if review is not None:
            return review, False
        review = ActivityReview(follow_up=self.follow_up, activity=activity)
        return review, True

    def import_instance(self, instance, row, **kwargs):
        # Every cell is read, so that all of a row's problems are reported at once.
        errors: dict[str, list] = {}
        for item in self.get_import_fields():
            try:
                self.import_field(item, instance, row, **kwargs)
            except ValueError as error:
                errors[item.attribute] = [ValidationError(str(error), code="invalid")]
            except ValidationError as error:
                errors[item.attribute] = error.error_list
        if errors:
            raise ValidationError(errors)

    def row_cells(self, review: ActivityReview) -> dict[str, str]:
        """The report's import columns as the sheet shows them."""
        cells = {}
        for item in self.get_import_fields():
            name = item.column_name
            if isinstance(item, IndicatorValuesField):
                values = stored_values(review) | getattr(review, "_imported_values", {})
                cells[name] = render_indicator_values(
                    list(review.activity.indicators.all()), values
                )
            elif isinstance(item.widget, ChoiceLabelWidget):
                value = getattr(review, item.attribute)
                cells[name] = str(item.widget.choices(value).label) if value else ""
            else:
                cells[name] = normalise_text(getattr(review, item.attribute))
        return cells

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # Who may report, and whether the file is older than the report, come first: when
        # either refuses the row, its cells do not matter.
        activity = instance.activity
        if self.user is not None and not can_report(self.user, self.follow_up, activity):
            raise ValidationError(
                {
                    "activity": _(
                        "You may not report for activity %(code)s “%(title)s”: only its "
                        "responsible organisations and plan administrators may."
                    )
                    % {"code": activity.reference_code, "title": activity.title}
                }
            )
        if instance.pk is not None:
            self.refuse_stale(instance, self._row)
        errors = dict(import_validation_errors or {})
        # The follow-up and activity are the resource's own objects: no query to check them.
        exclude = {*errors, "follow_up", "activity"}
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        errors = {name: messages for name, messages in errors.items() if messages}
        if errors:
            raise ValidationError(errors)
        instance._actual_values = self._actual_values(instance)

    def _actual_values(self, review: ActivityReview) -> dict[Indicator, Decimal | None]:
        imported = getattr(review, "_imported_values", None) or {}
        stored = stored_values(review)
        indicators = {indicator.pk: indicator for indicator in review.activity.indicators.all()}
        return {
            indicators[pk]: value
            for pk, value in imported.items()
            # An empty value where none was stored would only add an empty record.
            if value is not None or pk in stored
        }

    def save_instance(self, instance, is_create, row, **kwargs):
        if self._dry_run:
            # Validated in full already; the preview writes nothing, not even to roll it back.
            return
        save_review(instance, actual_values=instance._actual_values, user=self.user)


def stored_values(review: ActivityReview | None) -> dict[int, Decimal | None]:
    if review is None or review.pk is None:
        return {}
    return {value.indicator_id: value.actual_value for value in review.indicator_values.all()}


# --- export ------------------------------------------------------------------------------------


def round_activities(
    follow_up: FollowUp, organisation: Organisation | None = None
) -> QuerySet[Activity]:
    """The round's activities in code order; with an organisation, those it (or one of its
    units) leads."""
    activities = (
        Activity.objects.filter(plan_id=follow_up.plan_id)
        .select_related("lead_organisation")
        .prefetch_related("indicators")
        .in_code_order()
    )
    if organisation is not None:
        activities = activities.filter(
            lead_organisation__in=Organisation.objects.ids_with_units(organisation.pk)
        )
    return activities


def round_file_name(follow_up: FollowUp, organisation: Organisation | None = None) -> str:
    declaration = follow_up.plan.declaration
    who = (
        slugify(organisation.short_name or organisation.name) or str(organisation.pk)
        if organisation is not None
        else "alla"
    )
    return f"uppfoljning-{follow_up.year}-{declaration.slug}-{who}.xlsx"


def export_round_workbook(
    follow_up: FollowUp, organisation: Organisation | None = None
) -> tuple[str, bytes]:
    """(file name, xlsx bytes): one row per activity of the round (of the organisation and its
    units, when given) with its report so far. The portal, the admin and
    `manage.py export_followup` all write the same file through this."""
    resource = ReviewResource()
    activities = list(round_activities(follow_up, organisation))
    reviews = {
        review.activity_id: review
        for review in ActivityReview.objects.filter(
            follow_up=follow_up, activity__in=[activity.pk for activity in activities]
        ).prefetch_related("indicator_values")
    }
    rows = [resource.export_row(activity, reviews.get(activity.pk)) for activity in activities]
    content = write_workbook(
        resource.headers(),
        rows,
        sheet_title=str(_("Follow-up %(year)s") % {"year": follow_up.year}),
    )
    return round_file_name(follow_up, organisation), content


# --- import ------------------------------------------------------------------------------------


def import_round(*, follow_up: FollowUp, dataset, user, dry_run: bool) -> ImportOutcome:
    """Import a round's sheet: every row or none.

    With `dry_run` nothing is written (the preview). Otherwise the reports are saved in one
    transaction, and only if every row is valid. Raises ValueError without a user unless
    `dry_run` (the history must name who imported)."""
    if user is None and not dry_run:
        raise ValueError("Importing reports needs the user the history names.")
    return run_import(ReviewResource(follow_up=follow_up, user=user), dataset, dry_run=dry_run)


def read_round_sheet(uploaded_file) -> Sheet:
    """The round's sheet of an uploaded .xlsx or .csv file (`read_sheet`'s checks)."""
    return read_sheet(uploaded_file, ReviewResource.sheet_layout())
