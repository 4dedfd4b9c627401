"""The late and role filters on every page that takes the activity filters, and the declaration
page's collapsible sections and long lists (issue 15, parts 4 and 6)."""

import datetime
import io
import re

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from plans.models import ActivityStatus
from tests.conftest import count_queries, shown_activity_titles
from tests.factories import (
    ActivityFactory,
    GoalFactory,
    OrganisationFactory,
    PlanFactory,
    StrategyFactory,
)

pytestmark = pytest.mark.django_db

ON_SCHEDULE = {
    "status": ActivityStatus.ONGOING,
    "planned_start": datetime.date(2024, 3, 1),
    "planned_end": datetime.date(2099, 12, 1),
}
# Planned, and its planned start has passed: the "Late" badge's definition.
BEHIND = {
    "status": ActivityStatus.PLANNED,
    "planned_start": datetime.date(2024, 3, 1),
    "planned_end": datetime.date(2099, 12, 1),
}


def in_english(client):
    """The language switch's cookie: the pages in English, whatever the Swedish catalogue holds."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def summary_line(html: str) -> str:
    return text_of(re.search(r'class="plan-bar__summary"[^>]*>(.*?)</p>', html, re.S).group(1))


def text_of(html: str) -> str:
    """The page's words as a reader sees them: tags dropped, white space folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def strategy(db):
    plan = PlanFactory()
    return plan, StrategyFactory(goal=GoalFactory(declaration=plan.declaration))


@pytest.fixture
def late_and_not(strategy):
    plan, strategy = strategy
    late = ActivityFactory(plan=plan, strategy=strategy, title="Försenad städdag", **BEHIND)
    also_late = ActivityFactory(
        plan=plan,
        strategy=strategy,
        title="Passerat slut",
        status=ActivityStatus.ONGOING,
        planned_start=datetime.date(2023, 1, 1),
        planned_end=datetime.date(2024, 6, 1),
    )
    ActivityFactory(plan=plan, strategy=strategy, title="I tid", **ON_SCHEDULE)
    ActivityFactory(
        plan=plan,
        strategy=strategy,
        title="Klar sedan länge",
        status=ActivityStatus.DONE,
        planned_start=datetime.date(2023, 1, 1),
        planned_end=datetime.date(2023, 6, 1),
    )
    assert late.is_late
    assert also_late.is_late
    return plan, strategy


def test_late_filter_shows_only_the_late_activities_on_the_declaration_and_goal_pages(
    client, reader, late_and_not
):
    plan, strategy = late_and_not
    client.force_login(reader)

    for url in (plan.declaration.get_absolute_url(), strategy.goal.get_absolute_url()):
        assert shown_activity_titles(client.get(url, {"late": "1"})) == {
            "Försenad städdag",
            "Passerat slut",
        }
        assert len(shown_activity_titles(client.get(url))) == 4


def test_excel_export_of_the_late_filter_holds_only_the_late_activities(
    client, reader, late_and_not
):
    plan, _strategy = late_and_not
    client.force_login(reader)
    page = client.get(plan.declaration.get_absolute_url(), {"late": "1"}).content.decode()
    export_path = reverse("plans:declaration-export", args=[plan.declaration.slug])
    export_url = re.search(rf'href="({re.escape(export_path)}[^"]*)"', page)
    assert export_url, "the page links to its export"
    assert "late=1" in export_url.group(1)

    response = client.get(export_url.group(1).replace("&amp;", "&"))

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    titles = {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert titles == {"Försenad städdag", "Passerat slut"}


def test_overview_counts_only_the_late_activities_when_filtered(client, reader, late_and_not):
    plan, _strategy = late_and_not
    client.force_login(reader)
    url = reverse("followup:dashboard", args=[plan.declaration.slug])

    everything = client.get(url)
    late = client.get(url, {"late": "1"})

    assert everything.context["activity_count"] == 4
    assert late.context["activity_count"] == 2
    assert len(late.context["late"]) == 2
    assert 'name="late"' in late.content.decode()


@pytest.fixture
def shared_responsibility(strategy):
    plan, strategy = strategy
    housing = OrganisationFactory(name="Hyresbostäder i Norrköping", short_name="Hyresbostäder")
    unit = OrganisationFactory(name="Hyresbostäder Kundservice", parent=housing)
    kommun = OrganisationFactory(name="Norrköpings kommun")
    for title, lead in (("Leds av bolaget", housing), ("Leds av enheten", unit)):
        ActivityFactory(plan=plan, strategy=strategy, title=title, lead_organisation=lead)
    co_led = ActivityFactory(
        plan=plan, strategy=strategy, title="Kommunen leder", lead_organisation=kommun
    )
    co_led.co_organisations.add(housing)
    by_unit = ActivityFactory(
        plan=plan, strategy=strategy, title="Kommunen med enheten", lead_organisation=kommun
    )
    by_unit.co_organisations.add(unit)
    ActivityFactory(plan=plan, strategy=strategy, title="Bara kommunen", lead_organisation=kommun)
    return plan, housing


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, {"Leds av bolaget", "Leds av enheten", "Kommunen leder", "Kommunen med enheten"}),
        ("any", {"Leds av bolaget", "Leds av enheten", "Kommunen leder", "Kommunen med enheten"}),
        ("lead", {"Leds av bolaget", "Leds av enheten"}),
        ("co", {"Kommunen leder", "Kommunen med enheten"}),
    ],
)
def test_organisation_filter_matches_the_chosen_role_units_included(
    client, reader, shared_responsibility, role, expected
):
    plan, housing = shared_responsibility
    client.force_login(reader)
    params = {"lead_organisation": housing.pk, **({"organisation_role": role} if role else {})}

    page = client.get(plan.declaration.get_absolute_url(), params)
    export = client.get(reverse("plans:declaration-export", args=[plan.declaration.slug]), params)
    overview = client.get(reverse("followup:dashboard", args=[plan.declaration.slug]), params)

    assert shown_activity_titles(page) == expected
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)} == expected
    assert overview.context["activity_count"] == len(expected)


def responsibility_cells(html: str) -> dict[str, str]:
    """Each row's activity title and the words of its responsibility cell."""
    rows = re.findall(
        r'class="activity-title">\s*<a href="[^"]+"[^>]*>([^<]+)</a>.*?'
        r'data-label="[^"]*">.*?</td>\s*<td data-label="[^"]*">(.*?)</td>',
        html,
        flags=re.S,
    )
    return {title: text_of(cell) for title, cell in rows}


def test_filtered_rows_and_the_summary_say_the_organisations_role(
    client, reader, shared_responsibility
):
    plan, housing = shared_responsibility
    client.force_login(reader)
    url = plan.declaration.get_absolute_url()

    in_english(client)
    either = client.get(url, {"lead_organisation": housing.pk}).content.decode()
    co_only = client.get(
        url, {"lead_organisation": housing.pk, "organisation_role": "co"}
    ).content.decode()
    unfiltered = client.get(url).content.decode()

    cells = responsibility_cells(either)
    assert cells["Kommunen leder"].startswith("Hyresbostäder: Co-responsible")
    assert cells["Kommunen med enheten"].startswith("Hyresbostäder: Co-responsible")
    assert cells["Leds av bolaget"].startswith("Hyresbostäder: Lead")
    assert cells["Leds av enheten"].startswith("Hyresbostäder: Lead")
    assert summary_line(either).startswith(
        "4 activities shown where Hyresbostäder is lead or co-responsible"
    )
    assert summary_line(co_only).startswith(
        "2 activities shown where Hyresbostäder is co-responsible"
    )
    assert "role-label" not in unfiltered


# --- collapsible sections and long lists ------------------------------------------------------


def details_of(html: str, anchor: str) -> str:
    """The opening <details> tag of the section with this id."""
    return re.search(rf'id="{anchor}"[^>]*>\s*(<details[^>]*>)', html).group(1)


def test_sections_are_details_with_headings_and_counts_in_their_summary(client, reader, strategy):
    plan, strategy = strategy
    goal = strategy.goal
    ActivityFactory(plan=plan, strategy=strategy, title="Försenad", **BEHIND)
    ActivityFactory(plan=plan, strategy=strategy, title="I tid", **ON_SCHEDULE)
    ActivityFactory(plan=plan, strategy=strategy, title="Ofullständig", incomplete=True)
    client.force_login(reader)

    in_english(client)
    html = client.get(plan.declaration.get_absolute_url()).content.decode()

    strategy_id = f"strategi-{goal.position}-{strategy.position}"
    summaries = re.findall(r"<summary class=\"section-summary\">(.*?)</summary>", html, re.S)
    goal_summary, strategy_summary = summaries
    assert f'<h3 class="goal__title" id="malbild-{goal.position}-rubrik">' in goal_summary
    assert f'<h4 class="strategy__title" id="{strategy_id}-rubrik">' in strategy_summary
    assert text_of(strategy_summary).endswith("· 3 activities · 1 late · 1 incomplete")
    assert text_of(goal_summary).endswith("· 3 activities · 1 late · 1 incomplete")
    assert f'href="#malbild-{goal.position}"' in html
    assert details_of(html, f"malbild-{goal.position}").endswith(" open>")
    assert details_of(html, strategy_id).endswith(" open>")


@pytest.mark.parametrize(
    ("count", "params", "goals_open", "strategies_open"),
    [
        (60, {}, True, True),
        (61, {}, True, False),
        (61, {"status": ActivityStatus.PLANNED}, True, True),
        (61, {"open": "all"}, True, True),
        (5, {"open": "none"}, False, False),
    ],
)
def test_big_plans_start_with_their_strategies_closed(
    client, reader, strategy, count, params, goals_open, strategies_open
):
    plan, strategy = strategy
    ActivityFactory.create_batch(count, plan=plan, strategy=strategy)
    client.force_login(reader)

    html = client.get(plan.declaration.get_absolute_url(), params).content.decode()

    goal_details = details_of(html, f"malbild-{strategy.goal.position}")
    strategy_details = details_of(html, f"strategi-{strategy.goal.position}-{strategy.position}")
    assert goal_details.endswith(" open>") == goals_open
    assert strategy_details.endswith(" open>") == strategies_open
    assert re.search(r"href=\"\?[^\"]*open=all\"", html)
    assert re.search(r"href=\"\?[^\"]*open=none\"", html)


@pytest.mark.parametrize(("count", "split"), [(10, False), (11, True), (34, True)])
def test_a_long_strategy_shows_ten_rows_and_the_rest_behind_show_all(
    client, reader, strategy, count, split
):
    plan, strategy = strategy
    activities = ActivityFactory.create_batch(count, plan=plan, strategy=strategy)
    client.force_login(reader)

    in_english(client)
    response = client.get(strategy.goal.get_absolute_url())
    html = response.content.decode()

    assert shown_activity_titles(response) == {activity.title for activity in activities}
    if not split:
        assert "more-rows" not in html
        return
    first, rest = html.split('<details class="more-rows">')
    assert len(re.findall('class="activity-title"', first)) == 10
    assert len(re.findall('class="activity-title"', rest)) == count - 10
    assert f"Show all {count} activities" in text_of(rest)
    assert "continued</caption>" in rest
    # The continued table repeats the first one's header, whatever columns other apps add.
    header_cells = first.split('<table class="activities">')[-1].count('<th scope="col">')
    assert header_cells >= 6
    assert rest.count('<th scope="col">') == header_cells


@pytest.mark.parametrize(
    "params",
    [{"late": "1"}, {"organisation_role": "co", "lead_organisation": "partner"}],
    ids=["late", "co-responsible"],
)
def test_filtered_page_queries_do_not_grow_with_activities(
    client, reader, make_activities, django_assert_max_num_queries, params
):
    client.force_login(reader)
    plan, activities = make_activities(10)
    partner = activities[0].co_organisations.get()
    query = {name: (partner.pk if value == "partner" else value) for name, value in params.items()}
    url = f"{plan.declaration.get_absolute_url()}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
    with_ten = count_queries(client, url)
    plan, more = make_activities(190, plan=plan)
    for activity in more:
        activity.co_organisations.add(partner)

    with django_assert_max_num_queries(with_ten):
        response = client.get(url)
    assert response.context["shown_count"] == 200


def test_a_filtered_page_opens_only_the_sections_with_matches(client, reader, strategy):
    plan, strategy = strategy
    quiet = StrategyFactory(goal=GoalFactory(declaration=plan.declaration))
    ActivityFactory(plan=plan, strategy=strategy, title="Försenad", **BEHIND)
    ActivityFactory(plan=plan, strategy=quiet, title="I tid", **ON_SCHEDULE)
    client.force_login(reader)

    html = client.get(plan.declaration.get_absolute_url(), {"late": "1"}).content.decode()

    goal, quiet_goal = strategy.goal, quiet.goal
    assert details_of(html, f"malbild-{goal.position}").endswith(" open>")
    assert details_of(html, f"strategi-{goal.position}-{strategy.position}").endswith(" open>")
    assert details_of(html, f"malbild-{quiet_goal.position}") == '<details class="section-details">'
    quiet_id = f"strategi-{quiet_goal.position}-{quiet.position}"
    assert details_of(html, quiet_id) == '<details class="section-details">'


def test_a_declaration_without_a_plan_shows_its_goals_open(client, reader):
    strategy = StrategyFactory()
    client.force_login(reader)

    html = client.get(strategy.goal.declaration.get_absolute_url()).content.decode()

    assert details_of(html, f"malbild-{strategy.goal.position}").endswith(" open>")
    assert strategy.title in html
