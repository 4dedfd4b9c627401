from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Follow-up")

    def ready(self):
        from plans.activity_page import add_activity_section, set_indicator_readings
        from plans.overviews import OverviewPage, add_overview_page

        from . import activity_story, declarations, plan_columns
        from .filters import register
        from .reports import FOLLOW_UP_DATA

        # The activity lists of plans filter by the latest assessment too.
        register()
        # ...and show its latest closed assessment as a column.
        plan_columns.register()
        FOLLOW_UP_DATA.connect()
        # The dashboard is the first of the plan's overviews.
        add_overview_page(OverviewPage("dashboard", _("Overview"), "followup:dashboard", 10))
        # The activity page tells the activity's follow-ups and its indicators' latest values.
        add_activity_section(activity_story.FOLLOW_UPS_SECTION)
        set_indicator_readings(activity_story.latest_readings)
        # What the permission policy, the audit page and the retention routine know of it.
        declarations.declare()
