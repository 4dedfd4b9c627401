from django.urls import path

from . import views

app_name = "followup"
urlpatterns = [
    path("uppfoljningar/<int:pk>/", views.round_detail, name="round-detail"),
    path(
        "uppfoljningar/<int:pk>/aktiviteter/<int:activity_pk>/",
        views.review_edit,
        name="review-edit",
    ),
    path("uppfoljningar/<int:pk>/stang/", views.round_close, name="round-close"),
    path("planversioner/<int:pk>/", views.version_diff, name="version-diff"),
    path("planer/<int:plan_pk>/revidering/", views.plan_revision, name="plan-revision"),
]
