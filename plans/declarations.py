"""What the project's cross-cutting mechanisms need to know of this app's models: the
permission policy, the audit page and the retention routine read these declarations, so that
`klockaretorpet` never imports `plans` (see DESIGN.md, "The project package imports no app")."""

from klockaretorpet import audit, permissions, personal_data

from .models import Activity, ActivityPlan, Indicator

# What the portal's edit form leaves out: where the activity sits in the plan, who answers for
# it and what it serves in the declaration.
ACTIVITY_PLAN_ADMIN_FIELDS = [
    "plan",
    "strategy",
    "lead_organisation",
    "co_organisations",
    "success_factors",
    "programme_goals",
]


def activity_organisations(activity: Activity):
    """The lead first: a caller that finds it there reads no co-responsible organisation."""
    yield activity.lead_organisation_id
    if activity.pk is not None:
        # Uses the prefetch when the caller has one.
        yield from (organisation.pk for organisation in activity.co_organisations.all())


def indicator_activity(indicator: Indicator) -> Activity | None:
    return indicator.activity if indicator.activity_id is not None else None


def declare() -> None:
    permissions.declare_model(
        Activity,
        organisations=activity_organisations,
        responsible_rows=lambda activities, ids: activities.responsible_for(ids),
        plan_admin_fields=ACTIVITY_PLAN_ADMIN_FIELDS,
    )
    permissions.declare_model(Indicator, answered_by=indicator_activity, editors_add_delete=True)

    audit.declare_audited(ActivityPlan)
    audit.declare_audited(Activity)
    audit.declare_audited(Indicator)

    # A contact person's name ends up in the responsible unit, the texts, even the title.
    personal_data.declare_name_bearing_fields(
        Activity, ["responsible_unit", "description", "measurability", "title", "schedule_note"]
    )
    personal_data.declare_name_bearing_fields(Indicator, ["name"])
