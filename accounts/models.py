from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationIdentity(models.Model):
    """Who a user is at an organisation's OpenID provider: the provider's subject, never the
    e-mail address, ties a sign-in to a portal user, so nobody gets another's account by
    having the same address at another provider (or a local account)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="organisation_identities",
    )
    provider = models.CharField(_("provider"), max_length=40)
    subject = models.CharField(_("subject at the provider"), max_length=255)
    # The provider's groups at the latest sign-in, and the role they gave (blank: none). A
    # role the provider stops giving is taken away; one given by hand stays.
    groups = models.JSONField(_("groups at the provider"), default=list, blank=True)
    role_from_provider = models.CharField(_("role from the provider"), max_length=40, blank=True)
    first_signed_in_at = models.DateTimeField(_("first sign-in"), auto_now_add=True)
    last_signed_in_at = models.DateTimeField(_("latest sign-in"))

    class Meta:
        ordering = ["provider", "subject"]
        verbose_name = _("organisation account")
        verbose_name_plural = _("organisation accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="one_portal_user_per_provider_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.subject}"
