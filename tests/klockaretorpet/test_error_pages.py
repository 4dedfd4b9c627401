import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.defaults import page_not_found, permission_denied, server_error

PASSWORD = "ett-riktigt-långt-lösenord"
# Something a reflected-content bug would echo back; the error pages must not.
ODD_PATH = "/finns-inte-xq7<script>alert(1)</script>/"


def broken_view(request):
    raise RuntimeError("secret detail from /srv/klockaretorpet/settings.py")


# The URLconf of test_unhandled_exception_shows_the_server_error_page.
urlpatterns = [path("trasig/", broken_view)]


def in_swedish(msgid: str) -> str:
    """The text a user reads: the Swedish translation, or the msgid until there is one."""
    with translation.override("sv"):
        return gettext(msgid)


def start_page_link() -> str:
    return f'<a href="{reverse("strategies:home")}">{in_swedish("Go to the start page")}</a>'


def template_names(response) -> list[str]:
    return [template.name for template in response.templates]


@pytest.fixture
def anna(db, django_user_model):
    return django_user_model.objects.create_user("anna", password=PASSWORD)


def test_debug_is_off_so_the_custom_pages_are_used(settings):
    assert not settings.DEBUG


def test_unknown_address_shows_the_not_found_page_without_echoing_the_address(anna, client):
    client.force_login(anna)

    response = client.get(ODD_PATH)

    body = response.content.decode()
    assert response.status_code == 404
    assert "404.html" in template_names(response)
    assert in_swedish("Page not found") in body
    assert start_page_link() in body
    assert "xq7" not in body
    assert "alert(1)" not in body
    assert "finns-inte" not in body


def test_not_found_page_does_not_show_the_exception(rf):
    request = rf.get("/hemlig-sokvag/")
    request.user = AnonymousUser()

    response = page_not_found(request, exception=Exception("secret detail /srv/app/x.py"))

    body = response.content.decode()
    assert response.status_code == 404
    assert "secret detail" not in body
    assert "hemlig-sokvag" not in body


def test_permission_denied_page_does_not_show_the_reason(rf):
    request = rf.get("/plan/hemlig/")
    request.user = AnonymousUser()

    response = permission_denied(request, exception=PermissionDenied("secret detail"))

    body = response.content.decode()
    assert response.status_code == 403
    assert in_swedish("You do not have access to this page") in body
    assert start_page_link() in body
    assert "secret detail" not in body
    assert "/plan/hemlig/" not in body


def test_expired_form_shows_the_csrf_page_without_djangos_reason(anna, caplog):
    client = Client(enforce_csrf_checks=True)
    # Fetch the form first, so the cookie is there and only the token is missing.
    client.get(reverse("login"))

    response = client.post(reverse("login"), {"username": "anna", "password": PASSWORD})

    body = response.content.decode()
    assert response.status_code == 403
    assert "403_csrf.html" in template_names(response)
    assert in_swedish("The form could not be sent") in body
    assert start_page_link() in body
    assert "CSRF token missing" in caplog.text  # Django's reason: logged, not shown
    assert "CSRF token missing" not in body
    assert "CSRF cookie not set" not in body
    assert PASSWORD not in body


def test_server_error_page_depends_on_no_template_tag_or_variable(settings):
    source = (settings.BASE_DIR / "templates" / "500.html").read_text(encoding="utf-8")

    assert "{%" not in source
    assert "{{" not in source


def test_server_error_page_renders_with_an_empty_context():
    body = render_to_string("500.html")

    assert "Något gick fel" in body
    assert '<html lang="sv">' in body
    assert 'href="/static/css/portal.css"' in body
    assert "Traceback" not in body


def test_server_error_view_uses_the_standalone_page(rf):
    response = server_error(rf.get("/plan/trasig/"))

    body = response.content.decode()
    assert response.status_code == 500
    assert "Något gick fel" in body
    assert 'href="/"' in body
    assert "Traceback" not in body
    assert "/plan/trasig/" not in body


@pytest.mark.urls(__name__)
def test_unhandled_exception_shows_the_server_error_page(anna, client):
    client.force_login(anna)
    client.raise_request_exception = False

    response = client.get("/trasig/")

    body = response.content.decode()
    assert response.status_code == 500
    assert "Något gick fel" in body
    assert "secret detail" not in body
    assert "Traceback" not in body
