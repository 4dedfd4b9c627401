"""One way to edit an activity: the admin's form, for every role that edits, reached from the
activity page by one link; the role, not *Personalstatus*, opens the admin."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from plans.models import Activity
from strategies.models import Membership
from tests.factories import ActivityFactory, OrganisationFactory
from tests.plans.test_admin import activity_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    """Users of each role, none of them ticked *Personalstatus*, and an activity Hyresbostäder
    leads."""
    hyresbostader = OrganisationFactory(name="Hyresbostäder")
    kommun = OrganisationFactory(name="Norrköpings kommun")
    clients = {}
    for username, group, organisation in [
        ("redaktor.hbn", "Redaktör", hyresbostader),
        ("redaktor.kommun", "Redaktör", kommun),
        ("lasare", "Läsare", kommun),
        ("planadmin", "Planadministratör", kommun),
    ]:
        user = django_user_model.objects.create_user(username, is_staff=False)
        user.groups.add(Group.objects.get_or_create(name=group)[0])
        Membership.objects.create(user=user, organisation=organisation)
        client = Client()
        client.force_login(user)
        clients[username] = client
    return clients, ActivityFactory(title="Trygghetsvandring", lead_organisation=hyresbostader)


def edit_links(client, activity) -> list[tuple[str, str]]:
    """The activity page's links to an editing form (the admin's or the old portal address),
    each with its text, in page order."""
    html = client.get(activity.get_absolute_url()).content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    links = re.findall(r'<a\b[^>]*\bhref="([^"]+)"[^>]*>\s*([^<]*?)\s*</a>', main)
    return [
        (href, text)
        for href, text in links
        if href.startswith("/admin/") or href.endswith("/redigera/")
    ]


def test_an_editor_without_staff_status_edits_their_activity_in_the_admin(people):
    clients, activity = people
    editor = clients["redaktor.hbn"]
    url = reverse("admin:plans_activity_change", args=[activity.pk])

    assert editor.get(url).status_code == 200
    saved = editor.post(url, activity_form_data(activity, title="Trygghetsvandring i kvarteret"))

    assert saved.status_code == 302
    assert Activity.objects.get(pk=activity.pk).title == "Trygghetsvandring i kvarteret"
    assert editor.get(reverse("admin:index")).status_code == 200


def test_a_reader_cannot_enter_the_admin(people):
    clients, activity = people
    reader = clients["lasare"]

    for url in [
        reverse("admin:index"),
        reverse("admin:plans_activity_change", args=[activity.pk]),
    ]:
        response = reader.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    header = reader.get("/").content.decode()
    assert f'href="{reverse("admin:index")}"' not in header


def test_the_header_offers_the_admin_to_the_roles_that_edit_without_staff_status(people):
    clients, _activity = people
    admin_link = f'href="{reverse("admin:index")}"'

    for username in ["redaktor.hbn", "redaktor.kommun", "planadmin"]:
        html = clients[username].get("/").content.decode()
        header = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
        assert admin_link in header, username


def test_the_activity_page_has_one_edit_link_to_the_admin_for_those_who_may_change_it(people):
    clients, activity = people
    admin_form = reverse("admin:plans_activity_change", args=[activity.pk])

    # "Edit" reads "Redigera" (locale/sv), the language a new session gets.
    assert edit_links(clients["redaktor.hbn"], activity) == [(admin_form, "Redigera")]
    assert edit_links(clients["planadmin"], activity) == [(admin_form, "Redigera")]
    assert edit_links(clients["redaktor.kommun"], activity) == []
    assert edit_links(clients["lasare"], activity) == []


def test_the_old_portal_edit_address_leads_to_the_admin_form(people):
    clients, activity = people
    old_address = reverse("plans:activity-edit", args=[activity.pk])

    response = clients["redaktor.hbn"].get(old_address)

    assert response.status_code == 302
    assert response.url == reverse("admin:plans_activity_change", args=[activity.pk])
    assert clients["redaktor.kommun"].get(old_address).status_code == 403
    assert clients["lasare"].get(old_address).status_code == 403


def test_the_old_portal_edit_address_of_a_missing_activity_is_not_found(people, client):
    clients, activity = people
    missing = reverse("plans:activity-edit", args=[activity.pk + 1000])

    assert clients["redaktor.hbn"].get(missing).status_code == 404
    assert clients["planadmin"].get(missing).status_code == 404
    anonymous = client.get(reverse("plans:activity-edit", args=[activity.pk]))
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))


@pytest.fixture
def logged_out(django_user_model, client):
    """A logged-out browser and a way to give its user, who lacks *Personalstatus*, a role."""

    def user_in(group):
        user = django_user_model.objects.create_user(
            "inloggning", password="ett-långt-lösenord", is_staff=False
        )
        user.groups.add(Group.objects.get_or_create(name=group)[0])
        return {"username": "inloggning", "password": "ett-långt-lösenord"}

    return client, user_in


def test_a_logged_out_editor_reaches_the_admin_form_through_the_portal_login(logged_out):
    client, user_in = logged_out
    credentials = user_in("Redaktör")
    change_form = reverse("admin:plans_activity_change", args=[ActivityFactory().pk])

    login_page = client.get(change_form).url
    assert login_page.startswith(reverse("login") + "?next=")
    logged_in = client.post(login_page, {**credentials, "next": change_form})

    assert logged_in.url == change_form
    assert client.get(change_form).status_code == 200


@pytest.mark.parametrize(("group", "admitted"), [("Redaktör", True), ("Läsare", False)])
def test_the_admin_s_own_login_page_lets_in_whom_the_admin_admits(logged_out, group, admitted):
    client, user_in = logged_out
    credentials = user_in(group)

    response = client.post(reverse("admin:login"), {**credentials, "next": reverse("admin:index")})

    if admitted:
        assert response.url == reverse("admin:index")
        assert client.get(reverse("admin:index")).status_code == 200
    else:
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        assert client.get(reverse("admin:index")).status_code == 302
