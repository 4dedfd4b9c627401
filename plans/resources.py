"""The activity plan as a spreadsheet (django-import-export): one row per activity.

The column layout is the exchange format partners edit in Excel; the import (a later step) reads
the same columns back.
"""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from .models import Activity, ActivityType

LIST_SEPARATOR = "; "


def column(name: str, label) -> fields.Field:
    return fields.Field(attribute=name, column_name=label, readonly=True)


class ActivityResource(resources.ModelResource):
    reference_code = column("reference_code", _("Reference code"))
    goal = column("goal", _("Goal"))
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
    indicators = column("indicators", _("Indicators"))
    status = column("status", _("Status"))
    success_factors = column("success_factors", _("Critical success factors"))
    programme_goals = column("programme_goals", _("Programme goals"))
    last_changed = column("updated_at", _("Last changed"))
    last_changed_by = column("last_changed_by", _("Changed by"))

    MONTH_COLUMNS = ("planned_start", "planned_end")

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

    @classmethod
    def export_queryset(cls, activities: QuerySet[Activity]) -> QuerySet[Activity]:
        """Everything a row shows, in a fixed number of queries whatever the plan's size."""
        latest = Activity.history.model.objects.filter(id=OuterRef("pk")).order_by("-history_date")
        return (
            activities.for_tree()
            .prefetch_related("success_factors", "programme_goals")
            .annotate(
                last_changed_by_username=Subquery(latest.values("history_user__username")[:1]),
                last_changed_by_first=Subquery(latest.values("history_user__first_name")[:1]),
                last_changed_by_last=Subquery(latest.values("history_user__last_name")[:1]),
            )
            .in_code_order()
        )

    def filter_export(self, queryset, **kwargs):
        # The admin hands over its changelist (filters and search applied) with prefetches of
        # its own; the export's replace them.
        return self.export_queryset(queryset.prefetch_related(None))

    def export(self, queryset=None, **kwargs):
        dataset = super().export(queryset, **kwargs)
        # Which headers hold month-precision dates, for the xlsx writer's number format.
        dataset.month_columns = [str(self.fields[name].column_name) for name in self.MONTH_COLUMNS]
        return dataset

    def iter_queryset(self, queryset):
        # The prefetches are wanted; a plan is small enough to read in one go.
        return iter(queryset)

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
        return LIST_SEPARATOR.join(org.name for org in activity.co_organisations.all())

    def dehydrate_planned_start(self, activity: Activity):
        return activity.planned_start

    def dehydrate_planned_end(self, activity: Activity):
        return activity.planned_end

    def dehydrate_indicators(self, activity: Activity) -> str:
        return LIST_SEPARATOR.join(indicator_summary(i) for i in activity.indicators.all())

    def dehydrate_success_factors(self, activity: Activity) -> str:
        return LIST_SEPARATOR.join(factor.title for factor in activity.success_factors.all())

    def dehydrate_programme_goals(self, activity: Activity) -> str:
        return LIST_SEPARATOR.join(goal.title for goal in activity.programme_goals.all())

    def dehydrate_last_changed(self, activity: Activity):
        return timezone.localtime(activity.updated_at)

    def dehydrate_last_changed_by(self, activity: Activity) -> str:
        full_name = " ".join(
            filter(
                None,
                [
                    getattr(activity, "last_changed_by_first", ""),
                    getattr(activity, "last_changed_by_last", ""),
                ],
            )
        )
        return full_name or getattr(activity, "last_changed_by_username", "") or ""


def indicator_summary(indicator) -> str:
    """“Andel trygga (%): 58 (2022) → 70 (2026)” — one readable cell per indicator."""
    unit = f" ({indicator.unit})" if indicator.unit else ""

    def value(number, year):
        if number is None:
            return "–"
        shown = format(number.normalize(), "f").replace(".", ",")
        return f"{shown} ({year})" if year else shown

    return (
        f"{indicator.name}{unit}: {value(indicator.baseline_value, indicator.baseline_year)}"
        f" → {value(indicator.target_value, indicator.target_year)}"
    )


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
