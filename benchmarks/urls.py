from django.urls import path

from klockaretorpet.urls import urlpatterns as portal_urlpatterns

from .naive import naive_declaration

urlpatterns = [
    path("naive/<slug:slug>/", naive_declaration, name="naive-declaration"),
    *portal_urlpatterns,
]
