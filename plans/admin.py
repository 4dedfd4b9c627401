from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters, get_ul_class
from django.db import models
from django.db.models import Count, Prefetch
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin

from klockaretorpet import permissions
from klockaretorpet.admin_widgets import (
    GroupedCheckboxSelectMultiple,
    GroupedRadioSelect,
    name_group,
)
from klockaretorpet.guarded_admin import GuardedAdmin, GuardedStackedInline
from klockaretorpet.xlsx import FormulaSafeXLSX
from strategies.models import Strategy

from .admin_import import ActivityImportMixin
from .forms import ActivityAdminForm, MonthField
from .models import (
    Activity,
    ActivityCodeSequence,
    ActivityPlan,
    Indicator,
    MissingPart,
)
from .resources import ActivityResource, export_file_name


@admin.register(ActivityPlan)
class ActivityPlanAdmin(GuardedAdmin):
    list_display = ["name", "declaration", "period", "status", "activity_count"]
    list_filter = ["status", "declaration"]
    list_select_related = ["declaration"]
    search_fields = ["name", "declaration__title"]
    autocomplete_fields = ["declaration"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(activity_total=Count("activities"))

    @admin.display(description=_("period"), ordering="start_year")
    def period(self, plan: ActivityPlan) -> str:
        return plan.period_label

    @admin.display(description=_("activities"), ordering="activity_total")
    def activity_count(self, plan: ActivityPlan) -> int:
        return plan.activity_total


class IndicatorInline(GuardedStackedInline):
    """Stacked, a few fields to a line: nine columns side by side pushed the form past the
    edge of a 1366 px screen."""

    model = Indicator
    extra = 0
    # Swedish users type decimal commas: “25,5”.
    formfield_overrides = {
        models.DecimalField: {"localize": True, "widget": forms.TextInput(attrs={"size": 9})},
    }
    fields = [
        ("name", "unit", "position"),
        ("baseline_value", "baseline_year"),
        ("target_value", "target_year"),
        ("higher_is_better", "kolada_kpi"),
    ]

    class Media:
        # Keeps the names of a row added in the browser pointing at its own elements.
        js = ["admin/js/inlines.js", "js/admin_names.js"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in {"unit", "kolada_kpi"}:
            kwargs["widget"] = forms.TextInput(attrs={"size": 8})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        # Each row's fields are a <fieldset>: named, a screen reader says what it enters
        # rather than an empty "group" (the row's heading above it names the indicator).
        return [(capfirst(Indicator._meta.verbose_name), {"fields": self.get_fields(request, obj)})]


class StrategyFilter(admin.SimpleListFilter):
    """Lists strategies with their numbers without one goal query per strategy."""

    title = _("strategy")
    parameter_name = "strategy"

    def lookups(self, request, model_admin):
        return [
            (strategy.pk, f"{strategy.number} {strategy.title}")
            for strategy in Strategy.objects.filter(activities__isnull=False)
            .distinct()
            .in_tree_order()
        ]

    def queryset(self, request, queryset):
        if self.value():
            try:
                # Through the strategy's key, whose lookups know its range (2**70 finds nothing).
                return queryset.filter(strategy__in=Strategy.objects.filter(pk=int(self.value())))
            except ValueError as not_a_number:
                # As the admin's own filters do: the list is shown again without the filters.
                raise IncorrectLookupParameters(not_a_number) from None
        return queryset


class MyActivitiesFilter(admin.SimpleListFilter):
    """The activities the user's organisation answers for, its units included: what an editor
    looks for first."""

    title = _("my activities")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        if not permissions.organisation_ids_of(request.user):
            return []
        return [
            ("all", _("lead or co-responsible")),
            ("lead", _("we lead")),
            ("co", _("we are co-responsible")),
        ]

    def queryset(self, request, queryset):
        ids = permissions.organisation_ids_of(request.user)
        value = self.value()
        if not ids or value not in {"all", "lead", "co"}:
            return queryset
        return queryset.responsible_for(ids, leads=value != "co", shares=value != "lead")


class LateFilter(admin.SimpleListFilter):
    title = _("schedule")
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("yes", _("late"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            # The same definition as the "Late" badge of the portal's pages.
            return queryset.late(timezone.localdate())
        return queryset


class CompletenessFilter(admin.SimpleListFilter):
    title = _("completeness")
    parameter_name = "completeness"

    def lookups(self, request, model_admin):
        return [
            ("complete", _("complete")),
            ("incomplete", _("incomplete")),
            *(
                (f"missing-{part.value}", _("missing %(part)s") % {"part": part.label})
                for part in MissingPart
            ),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "complete":
            return queryset.complete()
        if value == "incomplete":
            return queryset.incomplete()
        if value and value.startswith("missing-"):
            part = value.removeprefix("missing-")
            if part in MissingPart.values:
                return queryset.missing(MissingPart(part))
        return queryset


@admin.register(Activity)
class ActivityAdmin(ActivityImportMixin, ExportMixin, GuardedAdmin):
    # Both buttons (each mixin alone would pick a template with only its own).
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    resource_classes = [ActivityResource]
    export_formats = [FormulaSafeXLSX]
    form = ActivityAdminForm

    def export_action(self, request, *args, **kwargs):
        # The export takes the list's filters from the address; the list itself answers bad
        # ones by showing itself unfiltered, and so does the export's page.
        try:
            return super().export_action(request, *args, **kwargs)
        except IncorrectLookupParameters:
            messages.error(
                request,
                gettext(
                    "The list's filters in the address could not be used. Choose the filters "
                    "in the list again and export from there."
                ),
            )
            return HttpResponseRedirect(reverse("admin:plans_activity_changelist"))

    # What an editor needs to find an activity and see how it stands, in columns that fit a
    # 1366 px screen beside the filters; type and strategy are filters, not columns.
    list_display = [
        "reference_code",
        "title_display",
        "status",
        "lead_display",
        "schedule_display",
        "complete_display",
    ]
    list_display_links = ["reference_code", "title_display"]
    # The filters editors use first come first.
    list_filter = [
        MyActivitiesFilter,
        "status",
        ("strategy__goal", admin.RelatedOnlyFieldListFilter),
        StrategyFilter,
        CompletenessFilter,
        LateFilter,
        "activity_type",
        ("lead_organisation", admin.RelatedOnlyFieldListFilter),
        "success_factors",
        "programme_goals",
        "plan",
    ]
    search_fields = ["reference_code", "title", "description"]
    # Co-responsible organisations are ticked, not searched: the partnership has a few dozen,
    # and the search box of the multiple autocomplete has no name a screen reader can say.
    autocomplete_fields = ["plan", "strategy", "lead_organisation"]
    readonly_fields = ["reference_code"]
    radio_fields = {"activity_type": admin.VERTICAL}
    empty_value_display = "–"
    inlines = [IndicatorInline]
    list_per_page = 50
    # The plan's own words, in the order the declaration asks for them ("för varje aktivitet
    # ska preliminär tidplan, ansvar och mätbarhet beskrivas"); the change form template puts
    # the indicators right after Mätbarhet (templates/admin/plans/activity/change_form.html).
    fieldsets = [
        (
            _("Activity"),
            {
                "fields": [
                    "plan",
                    "strategy",
                    "reference_code",
                    "title",
                    "description",
                    "activity_type",
                    "status",
                ]
            },
        ),
        (_("Schedule"), {"fields": [("planned_start", "planned_end"), "schedule_note"]}),
        (
            _("Responsibility"),
            {"fields": ["lead_organisation", "co_organisations", "responsible_unit"]},
        ),
        (_("Measurability"), {"fields": ["measurability"]}),
        (
            _("Links to success factors and programme goals"),
            {"fields": ["success_factors", "programme_goals"]},
        ),
    ]
    # The change form puts the indicators after the fieldset that holds Mätbarhet, wherever
    # it stands in the list above.
    fieldsets_before_indicators = 1 + next(
        position
        for position, (_name, options) in enumerate(fieldsets)
        if "measurability" in options["fields"]
    )

    def get_queryset(self, request):
        # Completeness is shown per row, so the indicators come in one extra query.
        return (
            super()
            .get_queryset(request)
            .select_related("plan", "strategy__goal", "lead_organisation")
            .prefetch_related(Prefetch("indicators", queryset=Indicator.objects.only("activity")))
        )

    def get_export_filename(self, request, queryset, file_format):
        slugs = set(queryset.values_list("plan__declaration__slug", flat=True)[:2])
        slug = slugs.pop() if len(slugs) == 1 else "alla"
        return export_file_name(slug, timezone.localdate())

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Tidplan is month precision: a month picker, not the admin's day calendar.
        if db_field.name in {"planned_start", "planned_end"}:
            return db_field.formfield(form_class=MonthField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in {"success_factors", "programme_goals", "co_organisations"}:
            kwargs["widget"] = GroupedCheckboxSelectMultiple
        return name_group(super().formfield_for_manytomany(db_field, request, **kwargs))

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name in self.radio_fields:
            kwargs["widget"] = GroupedRadioSelect(
                attrs={"class": get_ul_class(self.radio_fields[db_field.name])}
            )
        return name_group(super().formfield_for_choice_field(db_field, request, **kwargs))

    @admin.display(description=_("title"), ordering="title")
    def title_display(self, activity: Activity) -> str:
        # Two lines at most on the list (CSS), the whole title in the page for screen readers
        # and on hover.
        return format_html(
            '<span class="clamped-title" title="{}">{}</span>', activity.title, activity.title
        )

    @admin.display(description=_("lead organisation"), ordering="lead_organisation__name")
    def lead_display(self, activity: Activity) -> str:
        organisation = activity.lead_organisation
        return organisation.display_name if organisation else "–"

    @admin.display(description=_("schedule"), ordering="planned_start")
    def schedule_display(self, activity: Activity) -> str:
        return activity.schedule_label or "–"

    @admin.display(description=_("complete"))
    def complete_display(self, activity: Activity) -> str:
        # The admin's own yes/no icon says "True"/"False" to a screen reader, in English; this
        # one says "komplett" or what is missing, and shows the missing parts on hover.
        missing = activity.missing_part_labels
        if not missing:
            return format_html(
                '<img src="{}" alt="{}">', static("admin/img/icon-yes.svg"), gettext("complete")
            )
        text = gettext("missing %(part)s") % {"part": ", ".join(missing)}
        return format_html(
            '<img src="{}" alt="{}" title="{}">', static("admin/img/icon-no.svg"), text, text
        )


@admin.register(Indicator)
class IndicatorAdmin(GuardedAdmin):
    list_display = ["name", "activity", "unit", "baseline_value", "target_value", "target_year"]
    list_select_related = ["activity"]
    search_fields = ["name", "activity__title", "activity__reference_code"]
    autocomplete_fields = ["activity"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # An editor may only hang indicators on activities their organisation is responsible for.
        if db_field.name == "activity":
            kwargs["queryset"] = permissions.editable_activities(
                request.user, Activity.objects.all()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ActivityCodeSequence)
class ActivityCodeSequenceAdmin(admin.ModelAdmin):
    """Shown for transparency only: the sequences are written by code assignment."""

    list_display = ["plan", "prefix", "last_serial"]
    list_select_related = ["plan"]

    def has_view_permission(self, request, obj=None):
        return permissions.is_plan_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
