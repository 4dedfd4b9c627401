"""Every URL the project exposes × every role × GET/POST, with the outcome each must get.

The URL list is read from the resolver, so a new URL without a row here fails
`test_every_url_has_a_row`. Rules are written out by hand (not derived from
`klockaretorpet.permissions`), so the policy is checked against what we promised.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from followup.models import FollowUp, PlanVersion
from followup.rounds import write_revision
from plans.models import Activity, ActivityCodeSequence, ActivityPlan, Indicator
from strategies.models import (
    District,
    Goal,
    IntentDeclaration,
    Membership,
    Organisation,
    ProgrammeGoal,
    Strategy,
    SuccessFactor,
)
from tests.factories import (
    ActivityFactory,
    DeclarationFactory,
    DistrictFactory,
    GoalFactory,
    IndicatorFactory,
    OrganisationFactory,
    PlanFactory,
    StrategyFactory,
)

pytestmark = pytest.mark.django_db

ANONYMOUS, READER, EDITOR_HBN, EDITOR_KOMMUN, PLAN_ADMIN = (
    "anonymous",
    "reader",
    "editor_hbn",
    "editor_kommun",
    "plan_admin",
)
ROLES = [ANONYMOUS, READER, EDITOR_HBN, EDITOR_KOMMUN, PLAN_ADMIN]
# The roles the admin admits (klockaretorpet/admin_site.py): those that edit, with or without
# *Personalstatus* (the world gives it to one editor only).
STAFF = {EDITOR_HBN, EDITOR_KOMMUN, PLAN_ADMIN}
EDITORS = {EDITOR_HBN, EDITOR_KOMMUN}
LOGGED_IN = {READER, *STAFF}

LOGIN = "login redirect"
ADMIN_LOGIN = "admin login redirect"
ADMIN_FORM = "redirect to the activity's admin change form"
OK = 200
UNAUTHORIZED = 401
REDIRECT = 302
FORBIDDEN = 403
NOT_FOUND = 404
NOT_ALLOWED = 405
BAD_REQUEST = 400
SERVICE_UNAVAILABLE = 503


# --- the world every case runs in ---------------------------------------------------------


# A provider that is configured but does not answer (nothing listens on port 9): the sign-in
# rows need no network to say who may start one and that a forged answer is refused.
SILENT_PROVIDER = {
    "name": "kommun",
    "issuer": "http://127.0.0.1:9",
    "client_id": "planportalen",
    "client_secret": "hemligt",
    "organisation": "Norrköpings kommun",
    "label": "Norrköpings kommuns konto",
}


@pytest.fixture
def world(django_user_model, settings):
    settings.OIDC_PROVIDERS = [SILENT_PROVIDER]
    kommun = OrganisationFactory(name="Norrköpings kommun")
    hbn = OrganisationFactory(name="Hyresbostäder i Norrköping")
    unit = OrganisationFactory(name="Samhällsbyggnadskontoret", parent=kommun)
    declaration = DeclarationFactory(slug="klockaretorpet")
    goal = GoalFactory(declaration=declaration, position=1)
    strategy = StrategyFactory(goal=goal, position=1)
    plan = PlanFactory(declaration=declaration)
    hbn_activity = ActivityFactory(plan=plan, strategy=strategy, lead_organisation=hbn)
    kommun_activity = ActivityFactory(plan=plan, strategy=strategy, lead_organisation=unit)
    objects = {
        "district": DistrictFactory(),  # no declarations: deletable
        "organisation": OrganisationFactory(),
        "intentdeclaration": DeclarationFactory(),
        "goal": GoalFactory(declaration=declaration, position=2),
        "strategy": StrategyFactory(goal=goal, position=2),
        "activityplan": PlanFactory(declaration=declaration),
        "hbn_activity": hbn_activity,
        "kommun_activity": kommun_activity,
        "hbn_indicator": IndicatorFactory(activity=hbn_activity),
        "kommun_indicator": IndicatorFactory(activity=kommun_activity),
        "successfactor": SuccessFactor.objects.create(slug="sf", title="Boendekraft"),
        "programmegoal": ProgrammeGoal.objects.create(slug="pg", title="Öka tryggheten"),
        "group": Group.objects.get(name="Läsare"),
        "activitycodesequence": ActivityCodeSequence.objects.first(),
    }
    password = "ett-långt-lösenord"
    users = {}
    for role, group, organisation, is_staff in [
        (READER, "Läsare", kommun, False),
        (EDITOR_HBN, "Redaktör", hbn, False),
        (EDITOR_KOMMUN, "Redaktör", kommun, True),
        (PLAN_ADMIN, "Planadministratör", kommun, False),
    ]:
        user = django_user_model.objects.create_user(role, password=password, is_staff=is_staff)
        user.groups.add(Group.objects.get(name=group))
        Membership.objects.create(user=user, organisation=organisation)
        users[role] = user
    objects["followup"] = FollowUp.objects.create(
        plan=plan, year=2025, deadline=datetime.date(2026, 1, 31)
    )
    objects["planversion"] = write_revision(plan, user=users[PLAN_ADMIN])
    objects["membership"] = Membership.objects.get(user=users[READER])
    objects["user"] = users[READER]
    # django-axes' records, as a failed login leaves them.
    attempt = {"username": READER, "ip_address": "10.0.0.1", "user_agent": "test"}
    objects["accessattempt"] = AccessAttempt.objects.create(
        **attempt, failures_since_start=1, get_data="", post_data=""
    )
    objects["accesslog"] = AccessLog.objects.create(**attempt)
    objects["accessfailurelog"] = AccessFailureLog.objects.create(**attempt)
    clients = {ANONYMOUS: Client()}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    return {"objects": objects, "users": users, "clients": clients}


# --- what each role may do in the admin, model by model -----------------------------------

PLAN_MODELS_READ_BY_STAFF = {
    District,
    Organisation,
    IntentDeclaration,
    Goal,
    Strategy,
    SuccessFactor,
    ProgrammeGoal,
    Membership,
    ActivityPlan,
    Activity,
    Indicator,
    FollowUp,
}


@dataclass(frozen=True)
class Rights:
    view: frozenset[str]
    add: frozenset[str]
    change: frozenset[str]
    delete: frozenset[str]
    revert: frozenset[str]


def rights(model, variant: str | None) -> Rights:
    """Hand-written promise: who may do what with which object."""
    admin_only = frozenset({PLAN_ADMIN})
    nobody = frozenset()
    if model in PLAN_MODELS_READ_BY_STAFF:
        responsible = frozenset({EDITOR_HBN} if variant == "hbn" else {EDITOR_KOMMUN})
        if model is Activity:
            return Rights(
                frozenset(STAFF), admin_only, admin_only | responsible, admin_only, admin_only
            )
        if model is Indicator:
            return Rights(
                frozenset(STAFF),
                frozenset(STAFF),
                admin_only | responsible,
                admin_only | responsible,
                admin_only,
            )
        return Rights(frozenset(STAFF), admin_only, admin_only, admin_only, admin_only)
    if model is ActivityCodeSequence:
        return Rights(admin_only, nobody, nobody, nobody, nobody)
    if model is PlanVersion:
        # The record of what was decided: read by staff, changed by nobody.
        return Rights(frozenset(STAFF), nobody, nobody, nobody, nobody)
    # Users, groups and django-axes' records: superusers (IT) only.
    return Rights(nobody, nobody, nobody, nobody, nobody)


# --- cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    key: str  # the URL name, or the route of an unnamed URL
    variant: str | None
    url: Any  # world -> str
    expect: Any  # (role, method) -> outcome
    data: Any = None  # world -> POST data
    admin_form: Any = None  # world -> the admin change form a redirect should lead to

    @property
    def id(self) -> str:
        return f"{self.key}[{self.variant}]" if self.variant else self.key


def portal_read(role, method):
    if role == ANONYMOUS:
        return LOGIN
    return OK if method == "GET" else NOT_ALLOWED


def plan_admin_page(role, method, *, post=OK):
    if role == ANONYMOUS:
        return LOGIN
    if role != PLAN_ADMIN:
        return FORBIDDEN
    return OK if method == "GET" else post


def activity_edit(variant):
    """The old portal edit address leads those who may change the activity to the admin's
    form, the one editing form; nothing is posted to it."""
    responsible = EDITOR_HBN if variant == "hbn" else EDITOR_KOMMUN

    def expect(role, method):
        if role == ANONYMOUS:
            return LOGIN
        if method != "GET":
            return NOT_ALLOWED
        if role in {PLAN_ADMIN, responsible}:
            return ADMIN_FORM
        return FORBIDDEN

    return expect


def review_edit(variant):
    """Everyone logged in reads a report; the responsible organisation's editors and plan
    administrators write it (a saved report redirects to the round)."""
    responsible = EDITOR_HBN if variant == "hbn" else EDITOR_KOMMUN

    def expect(role, method):
        if role == ANONYMOUS:
            return LOGIN
        if method == "GET":
            return OK
        return REDIRECT if role in {PLAN_ADMIN, responsible} else FORBIDDEN

    return expect


def review_data(world, variant):
    return {
        "assessment": "on_track",
        "done": "Genomfört.",
        "deviations": "",
        "next_step": "",
        "new_status": "ongoing",
        "version": 0,
    }


def not_staff(role):
    # The portal's login wall stops anonymous visitors first; logged-in non-staff get the
    # admin's own login page.
    return LOGIN if role == ANONYMOUS else ADMIN_LOGIN


def admin_page(role, method, allowed: frozenset[str], *, get=OK, post=OK):
    if role not in STAFF:
        return not_staff(role)
    if role not in allowed:
        return FORBIDDEN
    return get if method == "GET" else post


def obj(world, name):
    return world["objects"][name]


def published_declaration_url(world, name):
    """A public URL of the world's declaration, published first (a draft's is a 404)."""
    declaration = obj(world, "hbn_activity").plan.declaration
    IntentDeclaration.objects.filter(pk=declaration.pk).update(is_published=True)
    return reverse(name, args=[declaration.slug])


def public_read(role, method):
    # No login wall: the same for everyone, logged in or not.
    return OK if method == "GET" else NOT_ALLOWED


def admin_model_cases(model, model_admin):
    opts = model._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"
    variants = [None]
    if model in (Activity, Indicator):
        variants = ["hbn", "kommun"]
    cases = []
    for variant in variants:
        name = f"{variant}_{opts.model_name}" if variant else opts.model_name
        r = rights(model, variant)

        def target(world, name=name):
            return obj(world, name)

        cases += [
            Case(
                f"{prefix}_changelist",
                variant,
                lambda w, p=prefix: reverse(f"{p}_changelist"),
                lambda role, method, r=r: admin_page(role, method, r.view),
            ),
            Case(
                f"{prefix}_add",
                variant,
                lambda w, p=prefix: reverse(f"{p}_add"),
                # An empty POST only redisplays the form with its errors.
                lambda role, method, r=r: admin_page(role, method, r.add),
            ),
            Case(
                f"{prefix}_change",
                variant,
                lambda w, p=prefix, t=target: reverse(f"{p}_change", args=[t(w).pk]),
                lambda role, method, r=r: admin_page(
                    role, method, r.view, post=OK if role in r.change else FORBIDDEN
                ),
            ),
            Case(
                f"{prefix}_delete",
                variant,
                lambda w, p=prefix, t=target: reverse(f"{p}_delete", args=[t(w).pk]),
                lambda role, method, r=r: admin_page(role, method, r.delete, post=REDIRECT),
                data=lambda w: {"post": "yes"},
            ),
            Case(
                f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/",
                variant,
                lambda w, p=prefix, t=target: reverse(f"{p}_change", args=[t(w).pk]).removesuffix(
                    "change/"
                ),
                # Django's old-style address redirects to the change page for any staff user.
                lambda role, method: not_staff(role) if role not in STAFF else REDIRECT,
            ),
        ]
        if hasattr(model_admin, "export_action"):
            cases.append(
                Case(
                    f"{prefix}_export",
                    variant,
                    lambda w, p=prefix: reverse(f"{p}_export"),
                    # Exporting needs the view permission; an empty POST redisplays the form.
                    lambda role, method, r=r: admin_page(role, method, r.view),
                )
            )
        if hasattr(model_admin, "import_action"):
            cases += [
                Case(
                    f"{prefix}_import",
                    variant,
                    lambda w, p=prefix: reverse(f"{p}_import"),
                    # Importing is for plan administrators; an empty POST redisplays the form.
                    lambda role, method: admin_page(role, method, frozenset({PLAN_ADMIN})),
                ),
                Case(
                    f"{prefix}_process_import",
                    variant,
                    lambda w, p=prefix: reverse(f"{p}_process_import"),
                    # POST only; a POST without a previewed file redisplays the form.
                    lambda role, method: (
                        not_staff(role)
                        if role not in STAFF
                        else (
                            NOT_ALLOWED
                            if method == "GET"
                            else (OK if role == PLAN_ADMIN else FORBIDDEN)
                        )
                    ),
                ),
            ]
        if hasattr(model_admin, "history_view"):
            cases.append(
                Case(
                    f"{prefix}_history",
                    variant,
                    lambda w, p=prefix, t=target: reverse(f"{p}_history", args=[t(w).pk]),
                    lambda role, method, r=r: admin_page(role, method, r.view),
                )
            )
        if hasattr(model, "history"):
            cases.append(
                Case(
                    f"{prefix}_simple_history",
                    variant,
                    lambda w, p=prefix, t=target: reverse(
                        f"{p}_simple_history", args=[t(w).pk, t(w).history.first().pk]
                    ),
                    # Reverting (POST) is for plan administrators only.
                    lambda role, method, r=r: admin_page(
                        role, method, r.view, post=OK if role in r.revert else FORBIDDEN
                    ),
                )
            )
    return cases


def admin_site_cases():
    def site_page(get=OK, post=OK):
        # The admin site's own pages send everyone who is not staff to the admin login.
        return lambda role, method: (
            ADMIN_LOGIN if role not in STAFF else (get if method == "GET" else post)
        )

    cases = [
        Case("admin:index", None, lambda w: reverse("admin:index"), site_page()),
        Case(
            "admin:login",
            None,
            lambda w: reverse("admin:login"),
            # Staff who are logged in already are sent on to the index.
            lambda role, method: REDIRECT if role in STAFF and method == "GET" else OK,
        ),
        Case(
            "admin:logout",
            None,
            lambda w: reverse("admin:logout"),
            # A logged-in non-staff user is sent to the admin index, which then asks to log in.
            lambda role, method: {ANONYMOUS: ADMIN_LOGIN, READER: REDIRECT}.get(
                role, NOT_ALLOWED if method == "GET" else REDIRECT
            ),
        ),
        Case(
            "admin:password_change",
            None,
            lambda w: reverse("admin:password_change"),
            site_page(),
        ),
        Case(
            "admin:password_change_done",
            None,
            lambda w: reverse("admin:password_change_done"),
            site_page(post=NOT_ALLOWED),
        ),
        Case("admin:jsi18n", None, lambda w: reverse("admin:jsi18n"), site_page(post=NOT_ALLOWED)),
        Case(
            "admin:autocomplete",
            None,
            lambda w: (
                reverse("admin:autocomplete")
                + "?app_label=plans&model_name=activity&field_name=strategy&term=Strategi"
            ),
            site_page(post=NOT_ALLOWED),
        ),
        Case(
            "admin:view_on_site",
            None,
            lambda w: reverse(
                "admin:view_on_site",
                args=[ContentType.objects.get_for_model(Activity).pk, obj(w, "hbn_activity").pk],
            ),
            site_page(get=REDIRECT, post=REDIRECT),
        ),
        Case(
            "admin/(?P<url>.*)$",
            None,
            lambda w: "/admin/finns-inte/",
            site_page(get=NOT_FOUND, post=NOT_FOUND),
        ),
    ]
    cases.append(
        Case(
            "admin:auth_user_password_change",
            None,
            lambda w: reverse("admin:auth_user_password_change", args=[obj(w, "user").pk]),
            lambda role, method: not_staff(role) if role not in STAFF else FORBIDDEN,
        )
    )
    for app_label, visible_to in [
        ("strategies", STAFF),
        ("plans", STAFF),
        ("auth", set()),
        ("axes", set()),
    ]:
        cases.append(
            Case(
                "admin:app_list",
                app_label,
                lambda w, a=app_label: reverse("admin:app_list", args=[a]),
                lambda role, method, v=visible_to: (
                    ADMIN_LOGIN if role not in STAFF else (OK if role in v else NOT_FOUND)
                ),
            )
        )
    for model, model_admin in admin.site._registry.items():
        cases += admin_model_cases(model, model_admin)
    return cases


def portal_cases():
    cases = [
        Case("strategies:home", None, lambda w: reverse("strategies:home"), portal_read),
        Case(
            "strategies:district-detail",
            None,
            lambda w: obj(w, "hbn_activity").plan.declaration.district.get_absolute_url(),
            portal_read,
        ),
        Case(
            "plans:declaration-detail",
            None,
            lambda w: obj(w, "hbn_activity").plan.declaration.get_absolute_url(),
            portal_read,
        ),
        Case(
            "plans:declaration-export",
            None,
            lambda w: reverse("plans:declaration-export", args=["klockaretorpet"]),
            portal_read,
        ),
        Case(
            "plans:goal-detail",
            None,
            lambda w: obj(w, "hbn_activity").strategy.goal.get_absolute_url(),
            portal_read,
        ),
        Case(
            "plans:declaration-copy",
            None,
            lambda w: reverse("plans:declaration-copy", args=["klockaretorpet"]),
            # An empty POST redisplays the form with its errors.
            plan_admin_page,
        ),
        Case(
            "followup:round-detail",
            None,
            lambda w: reverse("followup:round-detail", args=[obj(w, "followup").pk]),
            portal_read,
        ),
        Case(
            "followup:dashboard",
            None,
            lambda w: reverse("followup:dashboard", args=["klockaretorpet"]),
            portal_read,
        ),
        Case(
            "plans:timeline",
            None,
            lambda w: reverse("plans:timeline", args=["klockaretorpet"]),
            portal_read,
        ),
        Case(
            "plans:coverage",
            None,
            lambda w: reverse("plans:coverage", args=["klockaretorpet"]),
            portal_read,
        ),
        Case(
            "followup:public-declaration",
            None,
            lambda w: published_declaration_url(w, "followup:public-declaration"),
            public_read,
        ),
        Case(
            "followup:public-json",
            None,
            lambda w: published_declaration_url(w, "followup:public-json"),
            public_read,
        ),
        Case(
            "followup:public-csv",
            None,
            lambda w: published_declaration_url(w, "followup:public-csv"),
            public_read,
        ),
        Case(
            "followup:round-close",
            None,
            lambda w: reverse("followup:round-close", args=[obj(w, "followup").pk]),
            # Without a reason the round with unreported activities stays open (200).
            plan_admin_page,
        ),
        Case(
            "followup:plan-revision",
            None,
            lambda w: reverse("followup:plan-revision", args=[obj(w, "hbn_activity").plan_id]),
            lambda role, method: plan_admin_page(role, method, post=REDIRECT),
        ),
        Case(
            "followup:round-report",
            None,
            lambda w: reverse("followup:round-report", args=[obj(w, "followup").pk]),
            portal_read,
        ),
        Case(
            "followup:version-plan-report",
            None,
            lambda w: reverse("followup:version-plan-report", args=[obj(w, "planversion").pk]),
            portal_read,
        ),
        Case(
            "followup:plan-report",
            None,
            lambda w: reverse("followup:plan-report", args=[obj(w, "hbn_activity").plan_id]),
            portal_read,
        ),
        Case(
            "followup:round-export",
            None,
            lambda w: reverse("followup:round-export", args=[obj(w, "followup").pk]),
            portal_read,
        ),
        Case(
            "followup:round-import",
            None,
            lambda w: reverse("followup:round-import", args=[obj(w, "followup").pk]),
            # Editors and plan administrators; an empty POST redisplays the form.
            lambda role, method: (
                LOGIN if role == ANONYMOUS else (OK if role in STAFF else FORBIDDEN)
            ),
        ),
        Case(
            "followup:version-diff",
            None,
            lambda w: reverse("followup:version-diff", args=[obj(w, "planversion").pk]),
            portal_read,
        ),
        Case(
            "audit:recent-changes",
            None,
            lambda w: reverse("audit:recent-changes"),
            lambda role, method: plan_admin_page(role, method, post=NOT_ALLOWED),
        ),
        Case(
            "audit:erase-name",
            None,
            lambda w: reverse("audit:erase-name"),
            plan_admin_page,
            data=lambda w: {"name": "Ingen Alls"},
        ),
        Case(
            "set_language",
            None,
            lambda w: reverse("set_language"),
            # Everyone, logged in or not, is sent back to the page (or the start).
            lambda role, method: REDIRECT,
            data=lambda w: {"language": "en", "next": "/"},
        ),
        Case(
            "healthz",
            None,
            lambda w: reverse("healthz"),
            lambda role, method: OK if method == "GET" else NOT_ALLOWED,
        ),
        Case(
            "accessibility",
            None,
            lambda w: reverse("accessibility"),
            lambda role, method: OK if method == "GET" else NOT_ALLOWED,
        ),
        Case(
            "login",
            None,
            lambda w: reverse("login"),
            lambda role, method: OK,
        ),
        Case(
            "logout",
            None,
            lambda w: reverse("logout"),
            lambda role, method: (
                LOGIN if role == ANONYMOUS else (NOT_ALLOWED if method == "GET" else REDIRECT)
            ),
        ),
        Case(
            # The session warning's "stay logged in": a POST that renews a live session; an
            # ended one gets 401, not the login page, since a script asks.
            "extend-session",
            None,
            lambda w: reverse("extend-session"),
            lambda role, method: (
                NOT_ALLOWED if method == "GET" else (UNAUTHORIZED if role == ANONYMOUS else OK)
            ),
        ),
        Case(
            # Anyone may start a sign-in; here the provider does not answer, which the page says.
            "accounts:start",
            "configured",
            lambda w: reverse("accounts:start", args=["kommun"]),
            lambda role, method: SERVICE_UNAVAILABLE if method == "GET" else NOT_ALLOWED,
        ),
        Case(
            "accounts:start",
            "unknown",
            lambda w: reverse("accounts:start", args=["okand"]),
            lambda role, method: NOT_FOUND if method == "GET" else NOT_ALLOWED,
        ),
        Case(
            # An answer that no sign-in of this browser asked for is refused, logged in or not.
            "accounts:callback",
            "configured",
            lambda w: reverse("accounts:callback", args=["kommun"]) + "?code=x&state=forged",
            lambda role, method: BAD_REQUEST if method == "GET" else NOT_ALLOWED,
        ),
        Case(
            "accounts:callback",
            "unknown",
            lambda w: reverse("accounts:callback", args=["okand"]) + "?code=x&state=forged",
            lambda role, method: NOT_FOUND if method == "GET" else NOT_ALLOWED,
        ),
        Case(
            # The waiting page is for people without a role; everyone in the world has one.
            "accounts:waiting",
            None,
            lambda w: reverse("accounts:waiting"),
            lambda role, method: (
                LOGIN if role == ANONYMOUS else (REDIRECT if method == "GET" else NOT_ALLOWED)
            ),
        ),
        Case(
            "accounts:waiting-users",
            None,
            lambda w: reverse("accounts:waiting-users"),
            lambda role, method: plan_admin_page(role, method, post=NOT_ALLOWED),
        ),
        Case(
            "accounts:logged-out",
            None,
            lambda w: reverse("accounts:logged-out"),
            lambda role, method: OK if method == "GET" else NOT_ALLOWED,
        ),
        Case(
            "password_change",
            None,
            lambda w: reverse("password_change"),
            lambda role, method: LOGIN if role == ANONYMOUS else OK,
        ),
        Case(
            "password_change_done",
            None,
            lambda w: reverse("password_change_done"),
            lambda role, method: (
                LOGIN if role == ANONYMOUS else (OK if method == "GET" else NOT_ALLOWED)
            ),
        ),
    ]
    for variant in ["hbn", "kommun"]:
        cases += [
            Case(
                "plans:activity-detail",
                variant,
                lambda w, v=variant: obj(w, f"{v}_activity").get_absolute_url(),
                portal_read,
            ),
            Case(
                "followup:review-edit",
                variant,
                lambda w, v=variant: reverse(
                    "followup:review-edit",
                    args=[obj(w, "followup").pk, obj(w, f"{v}_activity").pk],
                ),
                review_edit(variant),
                data=lambda w, v=variant: review_data(w, v),
            ),
            Case(
                "plans:activity-edit",
                variant,
                lambda w, v=variant: reverse(
                    "plans:activity-edit", args=[obj(w, f"{v}_activity").pk]
                ),
                activity_edit(variant),
                admin_form=lambda w, v=variant: reverse(
                    "admin:plans_activity_change", args=[obj(w, f"{v}_activity").pk]
                ),
            ),
        ]
    return cases


CASES = portal_cases() + admin_site_cases()


def exposed_urls():
    """(key, route) for every URL pattern, walking nested resolvers."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if pattern.name:
                    yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route
                else:
                    yield route, route

    return list(walk(get_resolver().url_patterns, "", None))


# --- the tests ----------------------------------------------------------------------------


def test_every_url_has_a_row():
    covered = {case.key for case in CASES}
    missing = sorted({route for key, route in exposed_urls() if key not in covered})
    assert not missing, f"URLs without a row in the permission matrix: {missing}"


def outcome(response, admin_form: str | None = None) -> Any:
    if response.status_code == 302:
        location = response.url
        if location.startswith(reverse("admin:login")) and "next=" in location:
            return ADMIN_LOGIN
        if location.startswith(reverse("login") + "?next="):
            return LOGIN
        if location == admin_form:
            return ADMIN_FORM
    return response.status_code


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_permission_matrix(world, case, role, method):
    client = world["clients"][role]
    url = case.url(world)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, case.data(world) if case.data else {})

    admin_form = case.admin_form(world) if case.admin_form else None
    assert outcome(response, admin_form) == case.expect(role, method), (case.id, role, method)


# --- what a refusal protects, beyond the status code --------------------------------------


def activity_admin_data(activity, **changes):
    from tests.plans.test_admin import activity_form_data

    return activity_form_data(activity, **changes)


@pytest.mark.parametrize("editor", [EDITOR_HBN, EDITOR_KOMMUN])
def test_editor_changes_own_activity_but_not_the_other_organisations(world, editor):
    client = world["clients"][editor]
    own, other = (
        ("hbn_activity", "kommun_activity")
        if editor == EDITOR_HBN
        else ("kommun_activity", "hbn_activity")
    )
    own_activity, other_activity = obj(world, own), obj(world, other)

    saved = client.post(
        reverse("admin:plans_activity_change", args=[own_activity.pk]),
        activity_admin_data(own_activity, title="Egen ändring"),
    )
    refused = client.post(
        reverse("admin:plans_activity_change", args=[other_activity.pk]),
        activity_admin_data(other_activity, title="Otillåten ändring"),
    )
    refused_portal = client.get(reverse("plans:activity-edit", args=[other_activity.pk]))
    refused_delete = client.post(
        reverse("admin:plans_activity_delete", args=[other_activity.pk]), {"post": "yes"}
    )
    refused_bulk_delete = client.post(
        reverse("admin:plans_activity_changelist"),
        {"action": "delete_selected", "_selected_action": [other_activity.pk], "post": "yes"},
    )

    assert saved.status_code == 302
    assert Activity.objects.get(pk=own_activity.pk).title == "Egen ändring"
    assert (refused.status_code, refused_portal.status_code, refused_delete.status_code) == (
        403,
        403,
        403,
    )
    assert refused_bulk_delete.status_code in (200, 302)
    assert Activity.objects.get(pk=other_activity.pk).title == other_activity.title
    assert Activity.objects.filter(pk=other_activity.pk).exists()


# Where an activity sits and who answers for it: plan administrators only, whatever is posted.
LOCKED_CHANGES = {
    "plan": lambda w: obj(w, "activityplan").pk,
    "strategy": lambda w: obj(w, "strategy").pk,
    "lead_organisation": lambda w: obj(w, "kommun_activity").lead_organisation.parent_id,
    "co_organisations": lambda w: [obj(w, "organisation").pk],
    "success_factors": lambda w: [obj(w, "successfactor").pk],
    "programme_goals": lambda w: [obj(w, "programmegoal").pk],
}


def field_value(activity, field):
    activity = Activity.objects.get(pk=activity.pk)
    if field in {"co_organisations", "success_factors", "programme_goals"}:
        return sorted(getattr(activity, field).values_list("pk", flat=True))
    return getattr(activity, f"{field}_id")


@pytest.mark.parametrize("field", LOCKED_CHANGES)
def test_editor_cannot_move_or_hand_away_an_activity_in_the_admin(world, field):
    activity = obj(world, "hbn_activity")
    before = field_value(activity, field)
    data = activity_admin_data(
        activity, title="Egen ändring", **{field: LOCKED_CHANGES[field](world)}
    )

    response = world["clients"][EDITOR_HBN].post(
        reverse("admin:plans_activity_change", args=[activity.pk]), data
    )

    # The editor's own change is saved; the crafted field keeps its value.
    assert response.status_code == 302
    assert Activity.objects.get(pk=activity.pk).title == "Egen ändring"
    assert field_value(activity, field) == before


@pytest.mark.parametrize("field", LOCKED_CHANGES)
def test_plan_admins_move_and_hand_over_activities_in_the_admin(world, field):
    activity = obj(world, "hbn_activity")
    wanted = LOCKED_CHANGES[field](world)
    data = activity_admin_data(activity, **{field: wanted})

    response = world["clients"][PLAN_ADMIN].post(
        reverse("admin:plans_activity_change", args=[activity.pk]), data
    )

    assert response.status_code == 302
    assert field_value(activity, field) == wanted


def test_editors_see_the_locked_fields_read_only_in_the_admin(world):
    url = reverse("admin:plans_activity_change", args=[obj(world, "hbn_activity").pk])
    editor_page = world["clients"][EDITOR_HBN].get(url).content.decode()
    admin_page_ = world["clients"][PLAN_ADMIN].get(url).content.decode()
    for field in LOCKED_CHANGES:
        assert f'name="{field}"' not in editor_page, field
        assert f'name="{field}"' in admin_page_, field
    assert 'name="title"' in editor_page


def test_the_admin_save_path_asks_the_policy_whatever_the_form_shows(world, monkeypatch):
    """Behind the read-only fields: a form that still carries a locked field is refused."""
    from plans.admin import ActivityAdmin

    monkeypatch.setattr(ActivityAdmin, "get_readonly_fields", lambda self, request, obj=None: [])
    activity = obj(world, "hbn_activity")
    data = activity_admin_data(
        activity,
        title="Flyttad",
        plan=obj(world, "activityplan").pk,
        strategy=obj(world, "strategy").pk,
    )

    response = world["clients"][EDITOR_HBN].post(
        reverse("admin:plans_activity_change", args=[activity.pk]), data
    )

    assert response.status_code == 403
    unchanged = Activity.objects.get(pk=activity.pk)
    assert (unchanged.title, unchanged.plan_id, unchanged.strategy_id) == (
        activity.title,
        activity.plan_id,
        activity.strategy_id,
    )


@pytest.mark.parametrize("field", LOCKED_CHANGES)
def test_the_policy_refuses_editors_the_locked_fields(world, field):
    from klockaretorpet import permissions

    activity = obj(world, "hbn_activity")
    editor, plan_admin = world["users"][EDITOR_HBN], world["users"][PLAN_ADMIN]

    assert not permissions.can_change_fields(editor, activity, [field, "title"])
    assert permissions.can_change_fields(editor, activity, ["title", "status"])
    assert permissions.can_change_fields(plan_admin, activity, [field])


def test_editors_and_plan_admins_edit_in_one_form_that_differs_only_by_the_locked_fields(world):
    """One editing form for every role: an editor gets the plan administrator's form with the
    policy's locked fields shown read-only, nothing else missing or added."""
    from django.contrib import admin
    from django.test import RequestFactory

    from klockaretorpet import permissions

    activity = obj(world, "hbn_activity")
    model_admin = admin.site._registry[Activity]

    def editable_and_shown(role):
        request = RequestFactory().get("/")
        request.user = world["users"][role]
        form = model_admin.get_form(request, activity, change=True)
        readonly = set(model_admin.get_readonly_fields(request, activity))
        return set(form.base_fields), readonly

    editor_fields, editor_readonly = editable_and_shown(EDITOR_HBN)
    admin_fields, admin_readonly = editable_and_shown(PLAN_ADMIN)
    locked = permissions.locked_fields(world["users"][EDITOR_HBN], Activity)

    assert locked == set(LOCKED_CHANGES)
    assert admin_fields - editor_fields == locked
    assert editor_readonly - admin_readonly == locked
    assert editor_fields | editor_readonly == admin_fields | admin_readonly


def test_editor_cannot_hang_an_indicator_on_another_organisations_activity(world):
    client = world["clients"][EDITOR_HBN]
    response = client.post(
        reverse("admin:plans_indicator_add"),
        {
            "activity": obj(world, "kommun_activity").pk,
            "position": 1,
            "name": "Otillåten indikator",
            "higher_is_better": "on",
        },
    )
    assert response.status_code == 200
    assert not Indicator.objects.filter(name="Otillåten indikator").exists()


@pytest.mark.parametrize("role", [EDITOR_HBN, EDITOR_KOMMUN, READER])
def test_only_plan_admins_revert_history(world, role):
    activity = obj(world, "hbn_activity")
    activity.title = "Efter ändring"
    activity.save()
    first_record = activity.history.last()
    url = reverse("admin:plans_activity_simple_history", args=[activity.pk, first_record.pk])
    data = activity_admin_data(Activity.objects.get(pk=activity.pk), title=first_record.title)

    refused = world["clients"][role].post(url, data)
    reverted = world["clients"][PLAN_ADMIN].post(url, data)

    assert outcome(refused) in (FORBIDDEN, ADMIN_LOGIN)
    assert reverted.status_code == 302
    assert Activity.objects.get(pk=activity.pk).title == first_record.title


@pytest.mark.parametrize("role", [EDITOR_HBN, EDITOR_KOMMUN])
def test_editors_cannot_change_the_declaration_goals_or_strategies(world, role):
    client = world["clients"][role]
    for model_name, name in [
        ("intentdeclaration", "intentdeclaration"),
        ("goal", "goal"),
        ("strategy", "strategy"),
    ]:
        target = obj(world, name)
        before = type(target).objects.get(pk=target.pk)
        response = client.post(
            reverse(f"admin:strategies_{model_name}_change", args=[target.pk]),
            {"title": "Otillåten", "version": before.version},
        )
        assert response.status_code == 403, model_name
        assert type(target).objects.get(pk=target.pk).title == before.title


def test_users_without_a_role_see_nothing(client, django_user_model):
    nobody = django_user_model.objects.create_user("utan-roll", password="ett-långt-lösenord")
    client.force_login(nobody)
    assert client.get(reverse("strategies:home")).status_code == 403
