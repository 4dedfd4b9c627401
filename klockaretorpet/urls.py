from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from klockaretorpet import views

admin.site.site_header = _("Plan portal – editing")
admin.site.site_title = _("Plan portal")
admin.site.index_title = _("Intent declarations and activity plans")

audit_patterns = (
    [
        path("senaste-andringar/", views.audit_recent_changes, name="recent-changes"),
        path("ta-bort-namn/", views.audit_erase_name, name="erase-name"),
    ],
    "audit",
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("konto/", include("django.contrib.auth.urls")),
    path("granskning/", include(audit_patterns)),
    path("", include("plans.urls")),
    path("", include("strategies.urls")),
]
