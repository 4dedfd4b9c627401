from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StrategiesConfig(AppConfig):
    name = "strategies"
    verbose_name = _("Intent declarations")

    def ready(self) -> None:
        # What the permission policy, the audit page and the retention routine know of it.
        from . import declarations

        declarations.declare()
