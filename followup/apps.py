from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Follow-up")

    def ready(self):
        from plans.overviews import OverviewPage, add_overview_page

        from . import declarations
        from .filters import register
        from .reports import FOLLOW_UP_DATA

        # The activity lists of plans filter by the latest assessment too.
        register()
        FOLLOW_UP_DATA.connect()
        # The dashboard is the first of the plan's overviews.
        add_overview_page(OverviewPage("dashboard", _("Overview"), "followup:dashboard", 10))
        # What the permission policy, the audit page and the retention routine know of it.
        declarations.declare()
