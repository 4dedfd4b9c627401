"""No input gives a 500: bad filter values and path arguments are ignored or refused (400/404)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse

from tests.klockaretorpet.test_permissions import (
    ADMIN_LOGIN,
    CASES,
    EDITOR_HBN,
    FORBIDDEN,
    LOGIN,
    PLAN_ADMIN,
    READER,
    ROLES,
    obj,
)
from tests.klockaretorpet.test_permissions import (
    world as world,  # the fixture, with every URL's objects
)

pytestmark = pytest.mark.django_db


def client_of(world, role):
    client = Client(raise_request_exception=False)
    if role in world["users"]:
        client.force_login(world["users"][role])
    return client


@pytest.mark.parametrize("role", [READER, EDITOR_HBN, PLAN_ADMIN])
def test_round_export_with_a_bad_organisation_is_a_404(world, role):
    url = reverse("followup:round-export", args=[obj(world, "followup").pk])
    for value in ["abc", str(2**70), "-1", "1\x00"]:
        response = client_of(world, role).get(url, {"organisation": value})
        assert response.status_code == 404, value


def test_activity_changelist_ignores_a_bad_strategy(world):
    url = reverse("admin:plans_activity_changelist")
    for value in ["abc", str(2**70), "-1"]:
        response = client_of(world, PLAN_ADMIN).get(url, {"strategy": value})
        assert response.status_code in (200, 302), value


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("since", ["", "9999-12-31", "0001-01-01"])
def test_recent_changes_with_dates_at_the_ends_of_the_calendar(world, since, until):
    response = client_of(world, PLAN_ADMIN).get(
        reverse("audit:recent-changes"), {"since": since, "until": until}
    )
    assert response.status_code == 200


def test_history_page_of_a_version_that_is_not_a_number_is_a_404(world):
    activity = obj(world, "hbn_activity")
    for version in ["abc", str(2**70), "-1"]:
        url = reverse("admin:plans_activity_change", args=[activity.pk]).replace(
            "change/", f"history/{version}/"
        )
        response = client_of(world, PLAN_ADMIN).get(url)
        assert response.status_code == 404, version


def test_confirming_an_import_of_an_unknown_file_says_so(world):
    response = client_of(world, PLAN_ADMIN).post(
        reverse("admin:plans_activity_process_import"),
        {
            "import_file_name": "finns-inte",
            "original_file_name": "aktiviteter.xlsx",
            "format": "0",
            "resource": "0",
            "declaration": obj(world, "hbn_activity").plan.declaration_id,
        },
    )
    assert response.status_code == 302
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert shown == ["Förhandsvisningen har gått ut. Ladda upp filen igen."]


@pytest.mark.parametrize("value", ["abc", "1\x00", str(2**70), "-1"])
def test_an_admin_form_with_a_relation_that_cannot_exist_is_shown_again_with_its_error(
    world, value
):
    # Autocomplete fields look their value up to show it, and a multiple choice checks all
    # values in one query: neither may fail on a value no row can have.
    activity = obj(world, "hbn_activity")
    url = reverse("admin:plans_activity_change", args=[activity.pk])
    client = client_of(world, PLAN_ADMIN)
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        lead_organisation=value,
        programme_goals=[value],
        **{
            "indicators-TOTAL_FORMS": "0",
            "indicators-INITIAL_FORMS": "0",
            "planned_start": activity.planned_start.strftime("%Y-%m"),
            "planned_end": activity.planned_end.strftime("%Y-%m"),
        },
    )

    response = client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"lead_organisation", "programme_goals"} <= set(errors)


@pytest.mark.parametrize("value", ["abc", "1\x00", str(2**70)])
def test_an_add_form_opened_with_a_relation_that_cannot_exist_shows_it_empty(world, value):
    response = client_of(world, PLAN_ADMIN).get(
        reverse("admin:plans_activity_add"), {"lead_organisation": value}
    )
    assert response.status_code == 200


def test_the_export_with_filters_the_list_does_not_know_goes_back_to_the_list(world):
    response = client_of(world, PLAN_ADMIN).get(
        reverse("admin:plans_activity_export"), {"page": "abc"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:plans_activity_changelist")


@pytest.mark.parametrize(
    ("url_name", "key"),
    [
        ("admin:plans_activity_changelist", "status__exact"),
        ("admin:strategies_membership_changelist", "organisation"),
        ("admin:followup_planversion_changelist", "kind__exact"),
    ],
)
@pytest.mark.parametrize("value", ["\x00", "ongoing\x00", str(2**70), str(-(2**70))])
def test_an_admin_list_shows_itself_without_a_filter_no_row_can_match(world, url_name, key, value):
    client = client_of(world, PLAN_ADMIN)
    url = reverse(url_name)

    response = client.get(url, {key: value, "q": "1" * 25})

    assert response.status_code == 302
    assert response["Location"] == f"{url}?q={'1' * 25}"
    assert client.get(response["Location"]).status_code == 200


# --- every URL of the permission matrix, every role, with crafted input ------------------------

SUPERUSER = "superuser"
FUZZ_ROLES = [*ROLES, SUPERUSER]

# A representative set: what a typo, a script or an attacker puts where a number, a date or a
# name is expected. Ids are 64-bit at most in both databases; 2**70 is more.
CRAFTED = [
    "abc",
    "9999-12-31",
    "0000-00-00",
    str(2**70),
    "-1",
    "\x00",
    "x" * 10_240,
    "Ååö ✓ 😀 \u202e",
]
# Parameters some page reads, beside those its forms and links name.
GENERIC_PARAMETERS = ["q", "p", "o", "e", "page", "next", "organisation", "since", "until", "year"]
# Crafted path arguments sent by POST too, and to roles stopped at the door (objects are looked
# up before permissions are checked, by the same code for every role).
FEW_PATH_ARGUMENTS = ["abc", str(2**70), "\x00"]


# Each query parameter alone, with the values that fit what it looks like (a full cross product
# would take minutes): dates get the calendar's ends and an impossible day, free text NUL, 10 KB
# and unicode, everything else (ids, choices, page numbers) letters, a huge and a negative number.
VALUES_BY_KIND = {
    "date": ["9999-12-31", "0001-01-01", "0000-00-00", "abc"],
    "text": ["\x00", "x" * 10_240, "Ååö ✓ 😀 \u202e"],
    "other": ["abc", str(2**70), "-1", "\x00"],
}


@dataclass(frozen=True)
class Page:
    get_names: list[str]
    post_names: list[str]
    is_html: bool
    kinds: dict[str, str]


DISCOVERED: dict[str, Page] = {}
DOOR = {LOGIN, ADMIN_LOGIN, FORBIDDEN}


class ParameterNames(HTMLParser):
    """The names a page's GET forms and links send as query parameters, and its POST forms'."""

    def __init__(self):
        super().__init__()
        self.get: set[str] = set()
        self.post: set[str] = set()
        self.method: str | None = None
        self.kinds: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.method = (attrs.get("method") or "get").lower()
        elif tag in {"input", "select", "textarea", "button"} and attrs.get("name"):
            (self.post if self.method == "post" else self.get).add(attrs["name"])
            kind = attrs.get("type") or tag
            if kind in {"date", "month", "datetime-local"}:
                self.kinds[attrs["name"]] = "date"
            elif kind in {"text", "search", "textarea"}:
                self.kinds[attrs["name"]] = "text"
        elif tag == "a" and "?" in (attrs.get("href") or ""):
            self.get.update(parse_qs(urlsplit(attrs["href"]).query, keep_blank_values=True))

    def handle_endtag(self, tag):
        if tag == "form":
            self.method = None


def discover(case, world, client) -> Page:
    """What the page's forms and links send, read once per URL pattern as a superuser sees it."""
    if case.key not in DISCOVERED:
        with transaction.atomic():
            response = client.get(case.url(world))
            transaction.set_rollback(True)
        is_html = "html" in response.get("Content-Type", "")
        parser = ParameterNames()
        if is_html:
            parser.feed(response.content.decode(errors="replace"))
        post = parser.post - {"csrfmiddlewaretoken"}
        if case.data:
            post |= set(case.data(world))
        kinds = {"since": "date", "until": "date", "q": "text", **parser.kinds}
        DISCOVERED[case.key] = Page(
            sorted(parser.get | set(GENERIC_PARAMETERS)), sorted(post or {"name"}), is_html, kinds
        )
    return DISCOVERED[case.key]


def rotated(names: list[str], offset: int) -> dict[str, str]:
    """Every name gets a crafted value; over a few offsets each name gets a few values and,
    over the names, each value is sent."""
    return {name: CRAFTED[(index + offset) % len(CRAFTED)] for index, name in enumerate(names)}


def with_crafted_path_arguments(url: str):
    """(value, URL) with each path argument replaced, in turn, by each crafted value."""
    parts = urlsplit(url)
    match = resolve(parts.path)
    arguments = {str(value) for value in [*match.args, *match.kwargs.values()]}
    segments = parts.path.split("/")
    for position, segment in enumerate(segments):
        if segment and unquote(segment) in arguments:
            for value in CRAFTED:
                crafted = [*segments]
                crafted[position] = quote(value, safe="")
                yield value, urlunsplit(parts._replace(path="/".join(crafted)))


def one_case_per_url_pattern():
    seen, cases = set(), []
    for case in CASES:
        if case.key not in seen:
            seen.add(case.key)
            cases.append(case)
    return cases


@pytest.fixture
def fuzz_clients(world, django_user_model):
    superuser = django_user_model.objects.create_superuser("it", password="ett-långt-lösenord")
    clients = {}
    for role in FUZZ_ROLES:
        client = Client(raise_request_exception=False)
        user = superuser if role == SUPERUSER else world["users"].get(role)
        if user is not None:
            client.force_login(user)
        clients[role] = client
    return clients


@pytest.mark.parametrize("role", FUZZ_ROLES)
def test_no_crafted_input_gives_a_server_error(world, fuzz_clients, role):
    """Letters for ids, impossible and extreme dates, huge and negative numbers, NUL, 10 KB and
    unicode, in every query parameter a page knows, in every path argument and in every POST
    field: refused or ignored (4xx, a redirect or the page), never a 5xx."""
    client = fuzz_clients[role]
    failures = []
    unavailable_anyway = None

    def request(method, url, data):
        # Each request in a savepoint that is rolled back: a crafted POST that deletes, closes
        # or logs out leaves the world as it was for the next one, and a database error on
        # PostgreSQL does not poison the test's transaction.
        # The cookies too: a crafted POST to the logout or language switch would change them.
        cookies = copy.deepcopy(client.cookies)
        with transaction.atomic():
            response = getattr(client, method)(url, data)
            transaction.set_rollback(True)
        client.cookies = cookies
        # The world's sign-in provider does not answer, so starting a sign-in is a 503 whatever
        # is sent (the matrix's row); only a 5xx the input caused counts.
        if response.status_code >= 500 and response.status_code != unavailable_anyway:
            shown = {key: value[:20] for key, value in data.items()}
            failures.append(f"{method.upper()} {url[:120]} {shown} → {response.status_code}")

    for case in one_case_per_url_pattern():
        url = case.url(world)
        unavailable_anyway = (
            503 if case.expect(PLAN_ADMIN if role == SUPERUSER else role, "GET") == 503 else None
        )
        page = discover(case, world, fuzz_clients[SUPERUSER])
        # Query parameters are read by the same code whatever the role: the role that sees most
        # of the page (a plan administrator; a superuser where only superusers go) sends each
        # parameter alone with the values of its kind, the others all parameters at once.
        # A role stopped at the door reads no parameter: a few requests show it stays stopped.
        # Pages that are files (PDF, xlsx, CSV) are slow to make and read few parameters.
        refused = case.expect(PLAN_ADMIN if role == SUPERUSER else role, "GET") in DOOR
        if role == SUPERUSER:
            refused = not refused
        if role in {PLAN_ADMIN, SUPERUSER} and not refused:
            for name in page.get_names:
                for value in VALUES_BY_KIND[page.kinds.get(name, "other")]:
                    request("get", url, {name: value})
        else:
            for offset in range(1 if refused else (len(CRAFTED) // 2 if page.is_html else 2)):
                request("get", url, rotated(page.get_names, offset))
        for offset in range(1 if refused or not page.is_html else 2):
            request("post", url, rotated(page.post_names, offset))
        for value, crafted_url in with_crafted_path_arguments(url):
            if refused and value not in FEW_PATH_ARGUMENTS:
                continue
            request("get", crafted_url, {})
            if value in FEW_PATH_ARGUMENTS and not refused:
                request("post", crafted_url, {})

    assert not failures, "\n".join(failures)
