from django.urls import path

from . import dashboards, public, views

app_name = "followup"
urlpatterns = [
    path("uppfoljningar/<int:pk>/", views.round_detail, name="round-detail"),
    path(
        "uppfoljningar/<int:pk>/aktiviteter/<int:activity_pk>/",
        views.review_edit,
        name="review-edit",
    ),
    path("uppfoljningar/<int:pk>/stang/", views.round_close, name="round-close"),
    path("uppfoljningar/<int:pk>/rapport.pdf", views.round_report, name="round-report"),
    path("uppfoljningar/<int:pk>/excel/", views.round_export, name="round-export"),
    path("uppfoljningar/<int:pk>/importera/", views.round_import, name="round-import"),
    path("planversioner/<int:pk>/plan.pdf", views.version_plan_report, name="version-plan-report"),
    path("planer/<int:plan_pk>/plan.pdf", views.plan_report, name="plan-report"),
    path("planversioner/<int:pk>/", views.version_diff, name="version-diff"),
    path("planer/<int:plan_pk>/revidering/", views.plan_revision, name="plan-revision"),
    # Public, no login: a published declaration's page and its activities as open data.
    path("offentlig/<slug:slug>/", public.declaration_page, name="public-declaration"),
    path("offentlig/<slug:slug>/aktiviteter.json", public.declaration_json, name="public-json"),
    path("offentlig/<slug:slug>/aktiviteter.csv", public.declaration_csv, name="public-csv"),
    # The read-only overview of a declaration's current plan, for every logged-in role; its
    # timeline and coverage are the plans app's.
    path("avsiktsforklaringar/<slug:slug>/oversikt/", dashboards.dashboard, name="dashboard"),
]
