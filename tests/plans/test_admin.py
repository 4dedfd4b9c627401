import datetime
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followup.models import ActivityReview, Assessment, FollowUp
from followup.rounds import close_round
from plans.models import Activity, ActivityPlan, MissingPart, PlanStatus
from strategies.models import Membership
from tests.conftest import count_queries
from tests.factories import ActivityFactory, IndicatorFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated(db):
    """The Klockaretorpet plan plus one object of every model, so change pages have rows."""
    call_command("loaddata", "klockaretorpet", verbosity=0)
    activity = Activity.objects.first()
    activity.lead_organisation = OrganisationFactory()
    activity.save()
    IndicatorFactory(activity=ActivityFactory())
    user = get_user_model().objects.create_user("anna", password="ett-långt-lösenord")
    Membership.objects.create(user=user, organisation=activity.lead_organisation)
    # django-axes' own admin pages need a failed and a successful login to show.
    login = reverse("login")
    Client().post(login, {"username": "anna", "password": "ett-långt-lösenord"})
    Client().post(login, {"username": "anna", "password": "fel"})
    # A closed round (with its version) and an open one, each with a report.
    for year, close in [(2023, True), (2024, False)]:
        follow_up = FollowUp.objects.create(
            plan=activity.plan, year=year, deadline=datetime.date(year + 1, 1, 31)
        )
        ActivityReview.objects.create(
            follow_up=follow_up,
            activity=activity,
            assessment=Assessment.DEVIATION,
            deviations="Försenad upphandling.",
            done="Förstudie klar",
            new_status=activity.status,
        )
        if close:
            close_round(follow_up, user=user, reason="Demo")
    return activity


@pytest.mark.parametrize(
    ("model", "model_admin"),
    list(admin.site._registry.items()),
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_every_admin_page_opens_for_a_superuser(admin_client, populated, model, model_admin):
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    obj = model._default_manager.first()
    assert obj is not None, f"no {model.__name__} to open"

    assert admin_client.get(reverse(f"{prefix}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"{prefix}_change", args=[obj.pk])).status_code == 200
    add = admin_client.get(reverse(f"{prefix}_add"))
    assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403)
    if hasattr(model, "history"):
        history = reverse(f"{prefix}_history", args=[obj.pk])
        assert admin_client.get(history).status_code == 200


def test_admin_search_and_filters_open(admin_client, populated):
    url = reverse("admin:plans_activity_changelist")
    for query in [
        "?q=spårvägens",
        "?q=1.1.1",
        "?completeness=incomplete",
        "?completeness=missing-schedule",
        "?status__exact=planned",
        "?activity_type__exact=investment",
    ]:
        response = admin_client.get(url + query)
        assert response.status_code == 200, query
    searched = admin_client.get(url + "?q=spårvägens")
    assert "Fysiska åtgärder för att överbrygga" in searched.content.decode()


def activity_form_data(activity: Activity, **changes) -> dict:
    data = {
        "plan": activity.plan_id,
        "strategy": activity.strategy_id,
        "title": activity.title,
        "description": activity.description,
        "activity_type": activity.activity_type,
        "status": activity.status,
        "planned_start": activity.planned_start.strftime("%Y-%m") if activity.planned_start else "",
        "planned_end": activity.planned_end.strftime("%Y-%m") if activity.planned_end else "",
        "schedule_note": activity.schedule_note,
        "lead_organisation": activity.lead_organisation_id or "",
        "co_organisations": [org.pk for org in activity.co_organisations.all()],
        "responsible_unit": activity.responsible_unit,
        "measurability": activity.measurability,
        "success_factors": [],
        "programme_goals": [],
        "version": activity.version,
        "indicators-TOTAL_FORMS": "0",
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_admin_edit_records_the_user_in_history(admin_client, admin_user):
    activity = ActivityFactory()
    url = reverse("admin:plans_activity_change", args=[activity.pk])

    response = admin_client.post(url, activity_form_data(activity, title="Ny rubrik"))

    assert response.status_code == 302
    latest = activity.history.first()
    assert latest.title == "Ny rubrik"
    assert latest.history_user == admin_user


def test_admin_refuses_to_move_an_activity_onto_a_code_the_other_plan_has(admin_client):
    moving = ActivityFactory()
    other_plan = ActivityPlan.objects.create(
        declaration=moving.plan.declaration, name="Nästa plan", start_year=2027, end_year=2030
    )
    ActivityFactory(plan=other_plan, strategy=moving.strategy, reference_code=moving.reference_code)
    url = reverse("admin:plans_activity_change", args=[moving.pk])

    response = admin_client.post(url, activity_form_data(moving, plan=other_plan.pk))

    assert response.status_code == 200
    assert f"redan en aktivitet {moving.reference_code}" in response.content.decode()
    moving.refresh_from_db()
    assert moving.plan_id != other_plan.pk


def test_admin_accepts_months_and_rejects_end_before_start(admin_client):
    activity = ActivityFactory()
    url = reverse("admin:plans_activity_change", args=[activity.pk])

    saved = admin_client.post(
        url, activity_form_data(activity, planned_start="2026-02", planned_end="2026-09")
    )
    refused = admin_client.post(
        url, activity_form_data(activity, planned_start="2026-09", planned_end="2026-02")
    )

    assert saved.status_code == 302
    activity.refresh_from_db()
    assert (activity.planned_start, activity.planned_end) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 9, 1),
    )
    assert refused.status_code == 200
    assert "Planerat slut kan inte ligga före planerad start." in refused.content.decode()


def test_admin_adds_activity_with_code_and_indicator(admin_client, plan):
    template = ActivityFactory(plan=plan)
    data = activity_form_data(template, title="Ny aktivitet")
    data.update(
        {
            "indicators-TOTAL_FORMS": "1",
            "indicators-0-position": "1",
            "indicators-0-name": "Besökare",
            "indicators-0-unit": "st",
            "indicators-0-baseline_value": "10",
            "indicators-0-baseline_year": "2023",
            "indicators-0-target_value": "25,5",
            "indicators-0-target_year": "2026",
            "indicators-0-higher_is_better": "on",
        }
    )

    response = admin_client.post(reverse("admin:plans_activity_add"), data)

    assert response.status_code == 302
    created = Activity.objects.get(title="Ny aktivitet")
    assert created.reference_code == f"{template.strategy.number}.2"
    assert str(created.indicators.get().target_value) == "25.50"


def test_admin_refuses_indicator_target_outside_period(admin_client, plan):
    template = ActivityFactory(plan=plan)
    data = activity_form_data(template, title="Ny aktivitet")
    data.update(
        {
            "indicators-TOTAL_FORMS": "1",
            "indicators-0-position": "1",
            "indicators-0-name": "Besökare",
            "indicators-0-target_year": "2031",
        }
    )

    response = admin_client.post(reverse("admin:plans_activity_add"), data)

    assert response.status_code == 200
    assert "Målåret 2031 ligger utanför planens period 2023–2026." in response.content.decode()
    assert not Activity.objects.filter(title="Ny aktivitet").exists()


def test_admin_refuses_to_activate_plan_with_incomplete_activities(admin_client, plan):
    incomplete = ActivityFactory(plan=plan, incomplete=True)
    url = reverse("admin:plans_activityplan_change", args=[plan.pk])
    data = {
        "declaration": plan.declaration_id,
        "name": plan.name,
        "start_year": plan.start_year,
        "end_year": plan.end_year,
        "status": PlanStatus.ACTIVE,
    }

    refused = admin_client.post(url, data)
    incomplete.delete()
    accepted = admin_client.post(url, data)

    assert refused.status_code == 200
    assert "Planen kan inte aktiveras" in refused.content.decode()
    assert incomplete.reference_code in refused.content.decode()
    assert accepted.status_code == 302
    assert ActivityPlan.objects.get().status == PlanStatus.ACTIVE


def test_activity_changelist_queries_do_not_grow_with_activities(
    admin_client, make_activities, django_assert_max_num_queries
):
    url = reverse("admin:plans_activity_changelist") + "?all="
    plan, _ = make_activities(10)
    with_ten = count_queries(admin_client, url)
    make_activities(190, plan=plan)

    with django_assert_max_num_queries(with_ten):
        response = admin_client.get(url)
    assert response.context["cl"].result_count == 200


@pytest.fixture
def editor_at_the_kommun(db, django_user_model):
    """An editor at the kommun, whose units (its administrations) it answers for too."""
    from django.contrib.auth.models import Group

    kommun = OrganisationFactory(name="Norrköpings kommun")
    unit = OrganisationFactory(name="Kultur- och fritidskontoret", parent=kommun)
    user = django_user_model.objects.create_user("redaktor.kommun", password="x" * 12)
    user.groups.add(Group.objects.get_or_create(name="Redaktör")[0])
    Membership.objects.create(user=user, organisation=kommun)
    return user, kommun, unit


def listed_codes(client, query: str) -> set[str]:
    response = client.get(reverse("admin:plans_activity_changelist") + query)
    assert response.status_code == 200
    return {activity.reference_code for activity in response.context["cl"].result_list}


def test_my_activities_lists_what_the_editors_organisation_and_its_units_answer_for(
    client, editor_at_the_kommun
):
    user, kommun, unit = editor_at_the_kommun
    other = OrganisationFactory(name="Hyresbostäder")
    led = ActivityFactory(lead_organisation=kommun)
    plan = led.plan
    led_by_unit = ActivityFactory(plan=plan, strategy=led.strategy, lead_organisation=unit)
    shared = ActivityFactory(plan=plan, strategy=led.strategy, lead_organisation=other)
    shared.co_organisations.add(unit)
    not_ours = ActivityFactory(plan=plan, strategy=led.strategy, lead_organisation=other)
    client.force_login(user)

    assert listed_codes(client, "?mine=all") == {
        led.reference_code,
        led_by_unit.reference_code,
        shared.reference_code,
    }
    assert listed_codes(client, "?mine=lead") == {led.reference_code, led_by_unit.reference_code}
    assert listed_codes(client, "?mine=co") == {shared.reference_code}
    assert not_ours.reference_code in listed_codes(client, "")


def test_the_late_filter_lists_the_activities_behind_their_schedule(admin_client):
    today = timezone.localdate().replace(day=1)
    past = ActivityFactory(
        planned_start=datetime.date(2020, 1, 1), planned_end=today.replace(year=today.year - 1)
    )
    ActivityFactory(
        plan=past.plan,
        strategy=past.strategy,
        planned_start=datetime.date(2020, 1, 1),
        planned_end=today.replace(year=today.year - 1),
        status="done",
    )
    ActivityFactory(
        plan=past.plan,
        strategy=past.strategy,
        planned_start=today,
        planned_end=today.replace(year=today.year + 1),
    )

    assert listed_codes(admin_client, "?late=yes") == {past.reference_code}


def test_the_activity_list_shows_the_columns_an_editor_needs(admin_client):
    activity = ActivityFactory(
        title="En mycket lång rubrik " * 10,
        planned_start=datetime.date(2024, 3, 1),
        planned_end=datetime.date(2025, 12, 1),
    )
    html = admin_client.get(reverse("admin:plans_activity_changelist")).content.decode()

    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', html)
    assert headers == [
        "reference_code",
        "title_display",
        "status",
        "lead_display",
        "schedule_display",
        "complete_display",
    ]
    assert "mars 2024 – december 2025" in html
    # The whole title is in the page, shortened only on the screen.
    assert f'title="{activity.title}"' in html
    assert 'id="nav-sidebar"' not in html


def test_the_completeness_column_says_in_swedish_what_an_activity_lacks(admin_client):
    # The admin's own yes/no icon would tell a screen reader "True" or "False", in English.
    complete = ActivityFactory(
        planned_start=datetime.date(2024, 3, 1),
        planned_end=datetime.date(2025, 12, 1),
        measurability="Antal deltagare",
    )
    lacking = ActivityFactory(
        plan=complete.plan,
        strategy=complete.strategy,
        planned_start=None,
        planned_end=None,
        schedule_note="",
        lead_organisation=None,
    )
    assert complete.is_complete
    assert lacking.missing_parts[:2] == [MissingPart.SCHEDULE, MissingPart.RESPONSIBILITY]
    html = admin_client.get(reverse("admin:plans_activity_changelist")).content.decode()

    cells = dict(
        re.findall(
            r'<th class="field-reference_code"><a [^>]*>([\d.]+)</a>.*?'
            r'<td class="field-complete_display">(.*?)</td>',
            html,
            flags=re.S,
        )
    )
    assert 'alt="komplett"' in cells[complete.reference_code]
    lacks = f"saknar {', '.join(lacking.missing_part_labels)}"
    assert lacks.startswith("saknar tidplan, ansvar")
    assert f'alt="{lacks}"' in cells[lacking.reference_code]
    assert f'title="{lacks}"' in cells[lacking.reference_code]
    assert 'alt="True"' not in html
    assert 'alt="False"' not in html


def test_an_editors_activity_list_costs_the_same_queries_for_any_number_of_activities(
    client, editor_at_the_kommun, make_activities, django_assert_max_num_queries
):
    user, kommun, _unit = editor_at_the_kommun
    plan, activities = make_activities(10)
    Activity.objects.filter(pk__in=[a.pk for a in activities]).update(lead_organisation=kommun)
    client.force_login(user)
    url = reverse("admin:plans_activity_changelist") + "?mine=all&all="
    with_ten = count_queries(client, url)
    _plan, more = make_activities(50, plan=plan)
    Activity.objects.filter(pk__in=[a.pk for a in more]).update(lead_organisation=kommun)

    with django_assert_max_num_queries(with_ten):
        response = client.get(url)
    assert response.context["cl"].result_count == 60


def test_the_change_form_puts_the_indicators_right_after_measurability_and_explains_it(
    admin_client, settings
):
    activity = ActivityFactory()
    IndicatorFactory(activity=activity)
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = admin_client.get(
        reverse("admin:plans_activity_change", args=[activity.pk])
    ).content.decode()

    headings = [
        re.sub(r"<[^>]+>", "", heading).strip()
        for heading in re.findall(r"<h2[^>]*>(.*?)</h2>", html, flags=re.S)
    ]
    sections = [heading for heading in headings if heading]
    start = sections.index("Activity")
    assert sections[start : start + 6] == [
        "Activity",
        "Schedule",
        "Responsibility",
        "Measurability",
        "Indicators",
        "Links to success factors and programme goals",
    ]
    # What mätbarhet means is read with the field, by a screen reader too.
    textarea = re.search(r"<textarea[^>]*id=\"id_measurability\"[^>]*>", html).group(0)
    assert 'aria-describedby="id_measurability_helptext"' in textarea
    help_text = re.search(r'id="id_measurability_helptext">(.*?)</div>', html, flags=re.S)
    assert "How you will know that the activity succeeded" in help_text.group(1)
