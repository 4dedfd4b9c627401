from django.urls import path

from . import copy_views, views

app_name = "plans"
urlpatterns = [
    path(
        "avsiktsforklaringar/<slug:slug>/",
        views.declaration_detail,
        name="declaration-detail",
    ),
    path(
        "avsiktsforklaringar/<slug:slug>/aktiviteter.xlsx",
        views.declaration_export,
        name="declaration-export",
    ),
    path(
        "avsiktsforklaringar/<slug:slug>/malbilder/<int:position>/",
        views.goal_detail,
        name="goal-detail",
    ),
    path("aktiviteter/<int:pk>/", views.activity_detail, name="activity-detail"),
    path("aktiviteter/<int:pk>/redigera/", views.activity_edit, name="activity-edit"),
    path(
        "avsiktsforklaringar/<slug:slug>/kopiera/",
        copy_views.copy_declaration_view,
        name="declaration-copy",
    ),
    # Read-only overviews of a declaration's current plan, for every logged-in role.
    path("avsiktsforklaringar/<slug:slug>/tidplan/", views.timeline, name="timeline"),
    path("avsiktsforklaringar/<slug:slug>/tackning/", views.coverage, name="coverage"),
]
