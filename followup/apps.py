from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Follow-up")

    def ready(self):
        # The activity lists of plans filter by the latest assessment too.
        from . import declarations
        from .filters import register
        from .reports import FOLLOW_UP_DATA

        register()
        FOLLOW_UP_DATA.connect()
        # What the permission policy, the audit page and the retention routine know of it.
        declarations.declare()
