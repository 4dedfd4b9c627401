from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Activity plans")

    def ready(self) -> None:
        from klockaretorpet import permissions

        from . import tree_cache
        from .models import Activity

        tree_cache.connect_signals()
        # What the portal's edit form leaves out: where the activity sits in the plan, who
        # answers for it and what it serves in the declaration.
        permissions.declare_plan_admin_fields(Activity, ACTIVITY_PLAN_ADMIN_FIELDS)


ACTIVITY_PLAN_ADMIN_FIELDS = [
    "plan",
    "strategy",
    "lead_organisation",
    "co_organisations",
    "success_factors",
    "programme_goals",
]
