"""The admin is the portal's one place to edit the plan, so the role decides who enters it.

Django's own site admits staff users only; an editor whose account lacked *Personalstatus* got a
link to a login page they could not pass. Here every active user whose role edits (plan
administrators and editors) is admitted, as are staff users; what each may do inside is the
permission policy's answer, as before."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from klockaretorpet import permissions


def may_enter_admin(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_staff or permissions.role_of(user) in (
        permissions.Role.PLAN_ADMIN,
        permissions.Role.EDITOR,
    )


class PortalAdminSite(admin.AdminSite):
    @property
    def login_form(self):
        # Imported when the login page is asked for: auth's forms load models, and this module
        # loads with the app registry (INSTALLED_APPS names its AdminConfig).
        from klockaretorpet.admin_login import PortalAdminLoginForm

        return PortalAdminLoginForm

    def has_permission(self, request):
        return may_enter_admin(request.user)


class PortalAdminConfig(AdminConfig):
    default_site = "klockaretorpet.admin_site.PortalAdminSite"
