from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("oidc/<slug:provider_name>/", views.start, name="start"),
    path("oidc/<slug:provider_name>/callback/", views.callback, name="callback"),
    path("vantar/", views.waiting, name="waiting"),
    path("vantande/", views.waiting_users, name="waiting-users"),
    path("utloggad/", views.logged_out, name="logged-out"),
]
