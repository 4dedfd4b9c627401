"""The activity plan as a spreadsheet (django-import-export): one row per activity.

The column layout is the exchange format partners edit in Excel; the import reads the same
columns back through the sheet import engine (`klockaretorpet.sheet_import`), which this
resource fills in with what is particular to activities: the lookups of names, the indicators
cell, and new activities written together at the end with their codes drawn per file.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, widgets
from import_export.instance_loaders import CachedInstanceLoader

from klockaretorpet.plain_text import normalise_text
from klockaretorpet.sheet_import import ImportOutcome, SheetResource, run_import
from klockaretorpet.sheet_reading import Sheet, read_sheet
from strategies.models import (
    IntentDeclaration,
    Organisation,
    ProgrammeGoal,
    Strategy,
    SuccessFactor,
)

from . import indicator_cells
from .import_widgets import (
    CachedLookupWidget,
    CachedManyWidget,
    ChoiceLabelWidget,
    MonthWidget,
    StrategyWidget,
    TextWidget,
)
from .import_widgets import normalise_name as normalise
from .models import (
    ACTIVITY_TYPE_SHORT_LABELS,
    Activity,
    ActivityPlan,
    ActivityStatus,
    ActivityType,
    CodeDrawer,
    Indicator,
)
from .services import NewActivity, create_activities

LIST_SEPARATOR = "; "


class IndicatorsField(fields.Field):
    """The indicators cell: compared and shown as text, written after the activity is saved."""

    def get_value(self, instance):
        imported = getattr(instance, "_imported_indicators", None)
        if imported is not None:
            return indicator_cells.render_all(imported)
        return indicator_cells.render_all(instance.indicators.all()) if instance.pk else ""

    def save(self, instance, row, is_m2m=False, **kwargs):
        instance._imported_indicators = indicator_cells.parse(row.get(self.column_name))

    def export(self, instance, **kwargs):
        return self.get_value(instance)


def column(name: str, label, *, readonly: bool = False) -> fields.Field:
    return fields.Field(attribute=name, column_name=label, readonly=readonly, widget=TextWidget())


class ActivityResource(SheetResource):
    reference_code = column("reference_code", _("Reference code"))
    goal = column("goal", _("Goal"), readonly=True)
    strategy = column("strategy", _("Strategy"))
    title = column("title", _("Activity"))
    description = column("description", _("Description"))
    activity_type = column("activity_type", _("Activity type"))
    lead_organisation = column("lead_organisation", _("Lead organisation"))
    co_organisations = column("co_organisations", _("Co-responsible organisations"))
    responsible_unit = column("responsible_unit", _("Responsible unit or contact"))
    planned_start = column("planned_start", _("Planned start"))
    planned_end = column("planned_end", _("Planned end"))
    schedule_note = column("schedule_note", _("Schedule note"))
    measurability = column("measurability", _("Measurability"))
    indicators = IndicatorsField(attribute="indicators", column_name=_("Indicators"))
    status = column("status", _("Status"))
    success_factors = column("success_factors", _("Critical success factors"))
    programme_goals = column("programme_goals", _("Programme goals"))
    last_changed = column("updated_at", _("Last changed"), readonly=True)
    last_changed_by = column("last_changed_by", _("Changed by"), readonly=True)

    MONTH_COLUMNS = ("planned_start", "planned_end")
    REQUIRED_COLUMNS = ("reference_code", "strategy", "title")
    # A new row has no code until it is imported, so nothing else tells a second import of
    # the same file from new activities.
    REFUSE_EVERY_STALE_ROW = True
    STALE_MESSAGE = _(
        "Activity %(code)s was changed by %(who)s at %(time)s on %(date)s, after the file "
        "was exported. Export the plan again and make your changes in the new file."
    )
    UNDATED_MESSAGE = _(
        "Activity %(code)s was changed by %(who)s at %(time)s on %(date)s, and the file "
        "does not show when it was exported: the column “%(column)s” is missing or empty "
        "and the file has no creation date. Export the plan again and make your changes in "
        "the new file, keeping that column."
    )

    class Meta:
        model = Activity
        fields = export_order = (
            "reference_code",
            "goal",
            "strategy",
            "title",
            "description",
            "activity_type",
            "lead_organisation",
            "co_organisations",
            "responsible_unit",
            "planned_start",
            "planned_end",
            "schedule_note",
            "measurability",
            "indicators",
            "status",
            "success_factors",
            "programme_goals",
            "last_changed",
            "last_changed_by",
        )
        import_id_fields = ("reference_code",)
        instance_loader_class = CachedInstanceLoader

    def __init__(self, *, declaration: IntentDeclaration | None = None, user=None, **kwargs):
        super().__init__(**kwargs)
        self.declaration = declaration
        self.user = user
        self.plan = None
        self._export_getters: dict[tuple, list] = {}
        self._codes: CodeDrawer | None = None
        self._new: list[NewActivity] = []
        self._dry_run = True
        if declaration is not None:
            self.plan = ActivityPlan.objects.filter(declaration=declaration).current()
            self._bind_widgets(declaration)

    def _bind_widgets(self, declaration: IntentDeclaration) -> None:
        """Lookups for the whole file, built once (a few queries, not one per row)."""
        strategies = list(
            Strategy.objects.filter(goal__declaration=declaration).select_related("goal")
        )
        organisations = list(Organisation.objects.all())
        org_names = {}
        for org in organisations:
            org_names[normalise(org.name)] = org
            if org.short_name:
                org_names.setdefault(normalise(org.short_name), org)
        known_orgs = [org.name for org in organisations]
        set_widget = self.fields.__getitem__
        set_widget("strategy").widget = StrategyWidget(
            strategies=strategies,
            names={normalise(s.title): s for s in strategies}
            | {normalise(f"{s.number} {s.title}"): s for s in strategies},
            kind=_("strategy"),
            known=[f"{s.number} {s.title}" for s in strategies],
        )
        set_widget("lead_organisation").widget = CachedLookupWidget(
            names=org_names, kind=_("organisation"), known=known_orgs
        )
        set_widget("co_organisations").widget = CachedManyWidget(
            Organisation, names=org_names, kind=_("organisation"), known=known_orgs
        )
        for name, model, kind in [
            ("success_factors", SuccessFactor, _("critical success factor")),
            ("programme_goals", ProgrammeGoal, _("programme goal")),
        ]:
            items = list(model.objects.all())
            set_widget(name).widget = CachedManyWidget(
                model,
                names={normalise(item.title): item for item in items},
                kind=kind,
                known=[item.title for item in items],
            )
        set_widget("activity_type").widget = ChoiceLabelWidget(
            ActivityType, short_labels=ACTIVITY_TYPE_SHORT_LABELS
        )
        set_widget("status").widget = ChoiceLabelWidget(ActivityStatus, blank=False)
        set_widget("planned_start").widget = MonthWidget()
        set_widget("planned_end").widget = MonthWidget()

    # --- the engine's hooks ------------------------------------------------------------------

    def check_target(self) -> None:
        if self.plan is None:
            raise ValueError(_("The declaration has no activity plan to import into."))

    def prepare(self, *, dry_run: bool, using_transactions: bool) -> None:
        self._dry_run = dry_run
        self._new = []
        if using_transactions and not dry_run:
            # Before the rows are read: an import, or an activity added meanwhile, runs wholly
            # before or after this one, and this one matches its rows against what that one
            # wrote. A preview writes nothing to keep and takes no lock: its new codes show
            # what they would be now.
            ActivityPlan.objects.lock(self.plan.pk)
        self._codes = CodeDrawer(self.plan, lock=using_transactions and not dry_run)
        key = self.column_name("reference_code")
        for code in self.sheet[key] if key in (self.sheet.headers or []) else ():
            # A code the file gives a new row is never drawn for another.
            self._codes.take(str(code or "").strip())

    def repeated_message(self, key: str, earlier_row: int) -> str:
        return _(
            "Another activity in this plan already has this reference code: %(code)s is on "
            "row %(row)d too."
        ) % {"code": key, "row": earlier_row}

    def changed_at(self, instance: Activity):
        return instance.updated_at

    def expected_keys(self) -> dict[str, str]:
        return dict(
            Activity.objects.filter(plan=self.plan)
            .in_code_order()
            .values_list("reference_code", "title")
        )

    def title_of(self, instance: Activity) -> str:
        return instance.title

    def describe_new_row(self, row, changes: str) -> str:
        return _("Row %(row)d: new activity %(code)s “%(title)s”") % {
            "row": row.number,
            "code": row.key,
            "title": row.title,
        }

    # --- import hooks ---------------------------------------------------------------------

    def get_import_fields(self):
        # Derived columns (målbild, indicators, last changed) are shown, never imported, and so
        # stay out of the preview's diff too.
        return [field for field in super().get_import_fields() if not field.readonly]

    def get_queryset(self):
        # Everything the row comparison and the preview read, fetched once for the whole file.
        return (
            Activity.objects.filter(plan=self.plan)
            .select_related("plan", "strategy__goal", "lead_organisation")
            .prefetch_related(
                "co_organisations", "success_factors", "programme_goals", "indicators"
            )
        )

    def init_instance(self, row=None):
        return Activity(plan=self.plan)

    def import_instance(self, instance, row, **kwargs):
        # The library reads many-to-many cells only when saving; they are read here with the
        # other cells so that an unknown name is reported for its column like any other.
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        instance._imported_m2m = {}
        for field in self._m2m_fields():
            if field.column_name not in row:
                continue
            try:
                instance._imported_m2m[field.attribute] = field.clean(row)
            except ValueError as error:
                errors[field.attribute] = [ValidationError(str(error), code="invalid")]
        if errors:
            raise ValidationError(errors)

    def _m2m_fields(self) -> list[fields.Field]:
        return [
            field
            for field in self.get_import_fields()
            if isinstance(field.widget, widgets.ManyToManyWidget)
        ]

    def row_cells(self, instance: Activity) -> dict[str, str]:
        """The import columns as the sheet shows them. Many-to-many cells come from the row
        when it has them (they are written only after the save)."""
        imported_m2m = getattr(instance, "_imported_m2m", {})
        cells = {}
        for field in self.get_import_fields():
            name = str(field.column_name)
            if field.attribute in imported_m2m:
                cells[name] = field.widget.render(imported_m2m[field.attribute])
            elif instance.pk is None and isinstance(field.widget, widgets.ManyToManyWidget):
                cells[name] = ""
            else:
                cells[name] = normalise_text(field.export(instance))
        return cells

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.pk is not None:
            try:
                self.refuse_stale(instance, self._row)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        # The widgets hand over objects they looked up themselves and the plan is the
        # resource's own, so Django's per-row "does this foreign key exist" queries would only
        # repeat that work.
        for name in ("plan", "strategy", "lead_organisation"):
            errors.setdefault(name, [])
        try:
            # Uniqueness needs no query per row: a row's code is the key it was matched on, and
            # the engine refuses a file that repeats a code. The date check constraint is
            # `Activity.clean`'s too; the database still enforces both when saving.
            instance.full_clean(
                exclude=errors.keys(), validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        try:
            instance._indicator_writes = self._indicator_writes(instance)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        errors = {name: messages for name, messages in errors.items() if messages}
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        if instance.pk is None:
            # New activities get their codes now (the preview shows them) and are written
            # together once every row is valid (`after_import`).
            if instance.reference_code:
                self._codes.take(instance.reference_code)
            else:
                instance.reference_code = self._codes.draw(instance.strategy.number)
            if not self._dry_run:
                self._new.append(
                    NewActivity(
                        activity=instance,
                        links=dict(instance._imported_m2m),
                        indicators=instance._indicator_writes[0],
                    )
                )
            return
        if self._dry_run:
            # A changed row in the preview is validated in full already; saving it only to
            # roll the save back would cost a write and a history record per row.
            return
        super().save_instance(instance, is_create, row, **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        # Only relations whose cell changed: `.set()` reads the current links even when nothing
        # changes, and writes a history record for every change.
        if instance.pk is None or not getattr(instance, "_saved_by_import", False):
            return
        for attribute, wanted in instance._imported_m2m.items():
            current = {item.pk for item in getattr(instance, attribute).all()}
            if {item.pk for item in wanted} != current:
                getattr(instance, attribute).set(wanted)

    def before_save_instance(self, instance, row, **kwargs):
        instance._history_user = self.user

    def do_instance_save(self, instance, is_create):
        super().do_instance_save(instance, is_create)
        instance._saved_by_import = True

    def after_save_instance(self, instance, row, **kwargs):
        if not getattr(instance, "_saved_by_import", False):
            return
        to_save, to_delete = getattr(instance, "_indicator_writes", ([], []))
        for indicator in to_save:
            indicator.activity = instance
            indicator._history_user = self.user
            indicator.save()
        for indicator in to_delete:
            indicator._history_user = self.user
            indicator.delete()

    def after_import(self, dataset, result, **kwargs):
        if self._dry_run or result.has_errors() or result.has_validation_errors():
            return
        create_activities(new=self._new, user=self.user)
        self._codes.save()

    def _indicator_writes(self, instance: Activity) -> tuple[list[Indicator], list[Indicator]]:
        """(indicators to save, indicators to delete) for the row's indicators cell, each
        validated; raises ValidationError naming the indicator."""
        specs = getattr(instance, "_imported_indicators", None)
        if specs is None:
            return [], []
        existing = (
            {indicator.name: indicator for indicator in instance.indicators.all()}
            if instance.pk
            else {}
        )
        wanted = {spec.name for spec in specs}
        to_save, errors = [], []
        for position, spec in enumerate(specs, start=1):
            indicator = existing.get(spec.name) or Indicator(
                activity=instance, name=spec.name, position=position
            )
            values = {
                "unit": spec.unit,
                "baseline_value": spec.baseline_value,
                "baseline_year": spec.baseline_year,
                "target_value": spec.target_value,
                "target_year": spec.target_year,
            }
            if indicator.pk and all(getattr(indicator, k) == v for k, v in values.items()):
                continue
            for key, value in values.items():
                setattr(indicator, key, value)
            try:
                # The check constraint is `Indicator.clean`'s too; checking it here would cost
                # a query per indicator.
                indicator.full_clean(exclude=["activity"], validate_constraints=False)
            except ValidationError as error:
                errors += [f"{spec.name}: {message}" for message in error.messages]
                continue
            to_save.append(indicator)
        if errors:
            raise ValidationError({"indicators": errors})
        return to_save, [item for name, item in existing.items() if name not in wanted]

    @classmethod
    def export_queryset(cls, activities: QuerySet[Activity]) -> QuerySet[Activity]:
        """The activities in code order with what a row shows of their own and of their
        strategy and lead organisation; the lists are attached by `iter_queryset`."""
        latest = Activity.history.model.objects.filter(id=OuterRef("pk")).order_by("-history_date")
        return (
            activities.select_related("strategy__goal", "lead_organisation")
            .prefetch_related(None)
            .annotate(last_changed_by_id=Subquery(latest.values("history_user_id")[:1]))
            .in_code_order()
        )

    def filter_export(self, queryset, **kwargs):
        # The admin hands over its changelist (filters and search applied) with prefetches of
        # its own; the export's replace them.
        return self.export_queryset(queryset)

    def export(self, queryset=None, **kwargs):
        dataset = super().export(queryset, **kwargs)
        # Which headers hold month-precision dates, for the xlsx writer's number format.
        dataset.month_columns = [str(self.fields[name].column_name) for name in self.MONTH_COLUMNS]
        return dataset

    def iter_queryset(self, queryset):
        # A plan is small enough to read in one go. The list cells are read as plain values in
        # one query per list, not as a model object per link (prefetch_related).
        activities = list(queryset)
        attach_export_lists(activities, queryset)
        return iter(activities)

    def export_resource(self, instance, selected_fields=None, **kwargs):
        # The library looks up each field's dehydrate method again for every cell.
        key = tuple(selected_fields or ())
        getters = self._export_getters.get(key)
        if getters is None:
            getters = self._export_getters[key] = [
                getattr(self, f"dehydrate_{self.get_field_name(field)}", None)
                or (lambda instance, field=field: field.export(instance))
                for field in self.get_export_fields(selected_fields)
            ]
        return [getter(instance) for getter in getters]

    def dehydrate_goal(self, activity: Activity) -> str:
        goal = activity.strategy.goal
        return f"{goal.position} {goal.title}"

    def dehydrate_strategy(self, activity: Activity) -> str:
        return f"{activity.strategy.number} {activity.strategy.title}"

    def dehydrate_activity_type(self, activity: Activity) -> str:
        return str(ActivityType(activity.activity_type).label) if activity.activity_type else ""

    def dehydrate_status(self, activity: Activity) -> str:
        return str(activity.get_status_display())

    def dehydrate_lead_organisation(self, activity: Activity) -> str:
        return activity.lead_organisation.name if activity.lead_organisation else ""

    def dehydrate_co_organisations(self, activity: Activity) -> str:
        return LIST_SEPARATOR.join(export_list(activity, "co_organisations", "name"))

    def dehydrate_planned_start(self, activity: Activity):
        return activity.planned_start

    def dehydrate_planned_end(self, activity: Activity):
        return activity.planned_end

    def dehydrate_indicators(self, activity: Activity) -> str:
        return indicator_cells.render_all(export_list(activity, "indicators"))

    def dehydrate_success_factors(self, activity: Activity) -> str:
        return LIST_SEPARATOR.join(export_list(activity, "success_factors", "title"))

    def dehydrate_programme_goals(self, activity: Activity) -> str:
        return LIST_SEPARATOR.join(export_list(activity, "programme_goals", "title"))

    def dehydrate_last_changed(self, activity: Activity):
        return timezone.localtime(activity.updated_at)

    def dehydrate_last_changed_by(self, activity: Activity) -> str:
        users = getattr(activity, "_export_users", None)
        if users is None:
            return ""
        user = users.get(getattr(activity, "last_changed_by_id", None))
        return (user.get_full_name() or user.get_username()) if user else ""


EXPORT_LISTS = ("co_organisations", "success_factors", "programme_goals")


def attach_export_lists(activities: list[Activity], queryset: QuerySet[Activity]) -> None:
    """Give each activity its co-responsible organisations, success factors, programme goals,
    indicators and last editor as `_export_lists` / `_export_users`: a query per list for the
    whole export, and link rows read as id pairs rather than as model objects."""
    from django.contrib.auth import get_user_model

    if not activities:
        return
    selected = Subquery(queryset.order_by().values("pk"))
    lists = {
        activity.pk: {name: [] for name in (*EXPORT_LISTS, "indicators")} for activity in activities
    }
    for name in EXPORT_LISTS:
        field = Activity._meta.get_field(name)
        related = field.related_model
        # The reference tables are short; their own order (by name or position) is the cell's.
        items = {item.pk: item for item in related.objects.all()}
        position = {pk: index for index, pk in enumerate(items)}
        through = field.remote_field.through
        target = field.m2m_reverse_field_name()
        pairs = through.objects.filter(activity_id__in=selected).values_list(
            "activity_id", f"{target}_id"
        )
        for activity_id, item_id in pairs:
            lists[activity_id][name].append(items[item_id])
        for by_name in lists.values():
            by_name[name].sort(key=lambda item: position[item.pk])
    for indicator in Indicator.objects.filter(activity_id__in=selected).order_by(
        "activity_id", "position", "pk"
    ):
        lists[indicator.activity_id]["indicators"].append(indicator)
    editor_ids = {getattr(activity, "last_changed_by_id", None) for activity in activities}
    users = get_user_model().objects.in_bulk([pk for pk in editor_ids if pk is not None])
    for activity in activities:
        activity._export_lists = lists[activity.pk]
        activity._export_users = users


def export_list(activity: Activity, name: str, attribute: str | None = None) -> list:
    """One of the activity's lists as `attach_export_lists` left it, or read from the database
    for an activity that did not come through the export."""
    attached = getattr(activity, "_export_lists", None)
    items = attached[name] if attached is not None else list(getattr(activity, name).all())
    return [getattr(item, attribute) for item in items] if attribute else items


def export_activities_workbook(
    activities: QuerySet[Activity], *, declaration_slug: str, today=None
) -> tuple[str, bytes]:
    """(file name, xlsx bytes) for activities of one declaration: the admin, the portal and
    `manage.py export_activities` all write the same file through this."""
    from klockaretorpet.xlsx import FormulaSafeXLSX

    today = today or timezone.localdate()
    resource = ActivityResource()
    dataset = resource.export(activities)
    dataset.title = f"{declaration_slug} {today.isoformat()}"
    return export_file_name(declaration_slug, today), FormulaSafeXLSX().export_data(dataset)


def export_file_name(declaration_slug: str, today) -> str:
    return f"aktiviteter-{declaration_slug}-{today.isoformat()}.xlsx"


def import_activities(
    *, declaration: IntentDeclaration, dataset, user, dry_run: bool
) -> ImportOutcome:
    """Import a sheet into the declaration's current plan: all rows or none.

    With `dry_run` nothing is written (the preview). Otherwise the rows are written in one
    transaction, and only if every row is valid.
    """
    return run_import(
        ActivityResource(declaration=declaration, user=user), dataset, dry_run=dry_run
    )


def read_activity_sheet(uploaded_file) -> Sheet:
    """The activity sheet of an uploaded .xlsx or .csv file (`read_sheet`'s checks)."""
    return read_sheet(uploaded_file, ActivityResource.sheet_layout())
