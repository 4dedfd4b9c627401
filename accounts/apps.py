from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Sign-in: passwords, and the organisations' own accounts through OpenID Connect."""

    name = "accounts"
    verbose_name = _("Sign-in")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the configuration checks)
