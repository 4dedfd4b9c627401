from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from klockaretorpet import sessions, views

# Tells a database outage (503, try again later) from other errors (500); see the view.
handler500 = views.server_error

admin.site.site_header = _("Plan portal – editing")
admin.site.site_title = _("Plan portal")
admin.site.index_title = _("Intent declarations and activity plans")
# The navigation sidebar took a quarter of a 1366 px screen from every list and form; the
# breadcrumbs and the start page lead everywhere it did.
admin.site.enable_nav_sidebar = False

audit_patterns = (
    [
        path("senaste-andringar/", views.audit_recent_changes, name="recent-changes"),
        path("ta-bort-namn/", views.audit_erase_name, name="erase-name"),
    ],
    "audit",
)

urlpatterns = [
    path("admin/", admin.site.urls),
    # Only what staff need: no e-mailed password resets (accounts are managed by IT).
    # Login (passwords and the organisations' providers) and logout, by Django's usual names.
    path("konto/", include("accounts.login_urls")),
    path("konto/", include("accounts.urls")),
    path("konto/session/", sessions.extend_session, name="extend-session"),
    path(
        "konto/losenord/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "konto/losenord/klart/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("granskning/", include(audit_patterns)),
    # The language switch and the accessibility statement serve visitors who are not logged in.
    path("sprak/", login_not_required(set_language), name="set_language"),
    path("tillganglighet/", views.accessibility_statement, name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("followup.urls")),
    path("", include("plans.urls")),
    path("", include("strategies.urls")),
]
