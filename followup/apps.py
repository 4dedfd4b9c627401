from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Follow-up")

    def ready(self):
        # The activity lists of plans filter by the latest assessment too.
        from plans.overviews import OverviewPage, add_overview_page

        from .filters import register
        from .reports import FOLLOW_UP_DATA

        register()
        FOLLOW_UP_DATA.connect()
        # The dashboard is the first of the plan's overviews.
        add_overview_page(OverviewPage("dashboard", _("Overview"), "followup:dashboard", 10))
