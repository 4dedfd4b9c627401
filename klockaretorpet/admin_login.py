from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from klockaretorpet.admin_site import may_enter_admin


class PortalAdminLoginForm(AdminAuthenticationForm):
    """The admin's own login page (/admin/login/, opened directly) lets in whom the site admits;
    Django's asks for *Personalstatus* and refused editors who have the right to enter."""

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)
        if not may_enter_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
