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
    path("planversioner/<int:pk>/", views.version_diff, name="version-diff"),
]
