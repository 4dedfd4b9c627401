from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Activity plans")

    def ready(self) -> None:
        from . import declarations, tree_cache

        tree_cache.connect_signals()
        # What the permission policy, the audit page and the retention routine know of plans.
        declarations.declare()
