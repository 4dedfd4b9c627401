from django.urls import path

from . import views

app_name = "strategies"
urlpatterns = [
    path("", views.home, name="home"),
    path("stadsdelar/<slug:slug>/", views.DistrictDetailView.as_view(), name="district-detail"),
]
