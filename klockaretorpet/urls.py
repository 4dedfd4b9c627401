from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Plan portal – editing")
admin.site.site_title = _("Plan portal")
admin.site.index_title = _("Intent declarations and activity plans")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("konto/", include("django.contrib.auth.urls")),
    path("", include("plans.urls")),
    path("", include("strategies.urls")),
]
