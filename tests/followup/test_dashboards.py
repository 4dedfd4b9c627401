"""The plan's read-only overviews: the dashboard, the timeline and the coverage matrix."""

import datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from followup.models import ActivityReview, Assessment, FollowUp, FollowUpState, IndicatorValue
from plans.models import Activity, ActivityStatus, ActivityType
from plans.overviews import TimelineScale
from strategies.models import ProgrammeGoal, SuccessFactor
from tests.conftest import count_queries, shown_activity_titles
from tests.factories import (
    ActivityFactory,
    ActivityReviewFactory,
    DeclarationFactory,
    GoalFactory,
    IndicatorFactory,
    OrganisationFactory,
    PlanFactory,
    StrategyFactory,
)

pytestmark = pytest.mark.django_db

PAGES = ["followup:dashboard", "plans:timeline", "plans:coverage"]


def months_from_now(months: int) -> datetime.date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


class TableReader(HTMLParser):
    """The page's tables as {caption: [[cell text, …], …]}, the way a reader sees them."""

    def __init__(self):
        super().__init__()
        self.tables, self.caption, self.rows, self.cell = {}, None, None, None
        self.in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.caption, self.rows = "", []
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
        elif tag in ("td", "th") and self.rows is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self.in_caption = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join(self.cell.split()))
            self.cell = None
        elif tag == "table" and self.rows is not None:
            self.tables[" ".join(self.caption.split())] = self.rows
            self.rows = None

    def handle_data(self, data):
        if self.in_caption:
            self.caption += data
        elif self.cell is not None:
            self.cell += data


def tables(response) -> dict[str, list[list[str]]]:
    reader = TableReader()
    reader.feed(response.content.decode())
    return reader.tables


def row_of(table: list[list[str]], first_cell: str) -> dict[str, str]:
    """A row as {column heading: cell}, found by its first cell."""
    header = table[0]
    row = next(row for row in table if row[0] == first_cell)
    return dict(zip(header, row, strict=True))


def english_client(user) -> Client:
    # Assertions read the English source strings, so they hold once Swedish is translated.
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def reader_client(reader):
    return english_client(reader)


@pytest.fixture
def world():
    this_year = timezone.localdate().year
    plan = PlanFactory(start_year=this_year - 3, end_year=None)
    declaration = plan.declaration
    first_goal = GoalFactory(declaration=declaration, position=1, title="Trivsam stadsdel")
    second_goal = GoalFactory(declaration=declaration, position=2, title="Delaktighet")
    s11 = StrategyFactory(goal=first_goal, position=1, title="Rörelse")
    s12 = StrategyFactory(goal=first_goal, position=2, title="Blandning")
    s21 = StrategyFactory(goal=second_goal, position=1, title="Arbete")
    hbn = OrganisationFactory(name="Hyresbostäder i Norrköping", short_name="HBN")
    kommun = OrganisationFactory(name="Norrköpings kommun", short_name="Kommunen")
    activities = {
        "done": ActivityFactory(
            plan=plan,
            strategy=s11,
            title="Klar insats",
            status=ActivityStatus.DONE,
            activity_type=ActivityType.COMMISSIONED,
            lead_organisation=hbn,
            planned_start=months_from_now(-24),
            planned_end=months_from_now(-12),
        ),
        "late_end": ActivityFactory(
            plan=plan,
            strategy=s11,
            title="Sen insats",
            status=ActivityStatus.ONGOING,
            lead_organisation=hbn,
            planned_start=months_from_now(-14),
            planned_end=months_from_now(-2),
        ),
        "late_start": ActivityFactory(
            plan=plan,
            strategy=s12,
            title="Ej startad insats",
            status=ActivityStatus.PLANNED,
            activity_type=ActivityType.INVESTMENT,
            lead_organisation=kommun,
            planned_start=months_from_now(-3),
            planned_end=months_from_now(10),
        ),
        "note": ActivityFactory(
            plan=plan,
            strategy=s21,
            title="Insats med hösttermin",
            status=ActivityStatus.PLANNED,
            lead_organisation=kommun,
            planned_start=None,
            planned_end=None,
            schedule_note="HT 2027",
        ),
        "incomplete": ActivityFactory(
            plan=plan, strategy=s21, title="Ofullständig insats", incomplete=True
        ),
    }
    deltagare = IndicatorFactory(
        activity=activities["late_end"],
        name="Deltagare",
        unit="st",
        baseline_value=10,
        baseline_year=this_year - 3,
        target_value=30,
        target_year=this_year + 1,
    )
    IndicatorFactory(activity=activities["done"], name="Nöjda boende", baseline_value=50)

    boendekraft = SuccessFactor.objects.create(slug="test-boendekraft", title="Boendekraft")
    kommunikation = SuccessFactor.objects.create(slug="test-kommunikation", title="Kommunikation")
    tryggheten = ProgrammeGoal.objects.create(slug="test-trygghet", title="Öka tryggheten")
    activities["done"].success_factors.add(boendekraft)
    activities["late_end"].success_factors.add(boendekraft)
    activities["note"].success_factors.add(kommunikation)
    activities["late_start"].programme_goals.add(tryggheten)

    def report(follow_up, activity, assessment, value=None):
        ActivityReviewFactory(
            follow_up=follow_up,
            activity=activities[activity],
            assessment=assessment,
            done="Genomfört.",
            deviations="Försenat." if assessment != Assessment.ON_TRACK else "",
            new_status=activities[activity].status,
            actual_values={} if value is None else {deltagare: value},
        )

    last_year = FollowUp.objects.create(
        plan=plan, year=this_year - 1, deadline=datetime.date(this_year, 1, 31)
    )
    report(last_year, "done", Assessment.ON_TRACK)
    report(last_year, "late_end", Assessment.SERIOUS_DEVIATION, Decimal("15"))
    FollowUp.objects.filter(pk=last_year.pk).update(state=FollowUpState.CLOSED)
    this_round = FollowUp.objects.create(
        plan=plan, year=this_year, deadline=datetime.date(this_year + 1, 1, 31)
    )
    report(this_round, "late_end", Assessment.DEVIATION, Decimal("24"))
    report(this_round, "note", Assessment.ON_TRACK)
    return {
        "plan": plan,
        "declaration": declaration,
        "activities": activities,
        "this_round": this_round,
    }


def url(name, world):
    return reverse(name, args=[world["declaration"].slug])


# --- the dashboard -------------------------------------------------------------------------


def test_the_dashboard_counts_activities_by_status_per_goal_and_in_total(world, reader_client):
    page = tables(reader_client.get(url("followup:dashboard", world)))
    statuses = page["Activities by status, per goal and in total"]

    assert row_of(statuses, "Planned") == {
        "Status": "Planned",
        "Goal 1: Trivsam stadsdel": "1",
        "Goal 2: Delaktighet": "2",
        "Total": "3",
    }
    assert row_of(statuses, "Ongoing")["Total"] == "1"
    assert row_of(statuses, "Done")["Goal 1: Trivsam stadsdel"] == "1"
    assert row_of(statuses, "Cancelled")["Total"] == "0"
    assert row_of(statuses, "All activities")["Total"] == "5"


def test_the_dashboard_counts_the_latest_closed_rounds_assessments(world, reader_client):
    response = reader_client.get(url("followup:dashboard", world))
    text = response.content.decode()
    assessments = tables(response)["Activities by assessment, per goal and in total"]
    this_year = world["this_round"].year

    # Last year's closed round, not this year's open one whose reports are still coming in.
    assert row_of(assessments, "On track")["Total"] == "1"
    assert row_of(assessments, "Deviation")["Total"] == "0"
    assert row_of(assessments, "Serious deviation")["Total"] == "1"
    assert row_of(assessments, "Not reported")["Total"] == "3"
    assert f"latest closed follow-up, {this_year - 1}: 2 of 5 activities" in text
    assert "Preliminary figures" not in text
    assert f'href="?round=open">Show preliminary figures from the open follow-up {this_year}' in (
        text
    )


def test_the_open_rounds_figures_are_shown_on_request_labelled_preliminary(world, reader_client):
    response = reader_client.get(url("followup:dashboard", world), {"round": "open"})
    text = response.content.decode()
    assessments = tables(response)["Activities by assessment (preliminary), per goal and in total"]
    this_year = world["this_round"].year

    assert row_of(assessments, "On track")["Total"] == "1"
    assert row_of(assessments, "Deviation")["Total"] == "1"
    assert row_of(assessments, "Serious deviation")["Total"] == "0"
    assert f"Preliminary figures from the open follow-up {this_year}</strong>" in text
    assert "2 of 5 activities reported so far" in text
    assert "Open follow-up (preliminary)" in text
    assert world["this_round"].get_absolute_url() in text
    assert f'href="?">Show the final figures from the closed follow-up {this_year - 1}' in text


def test_the_round_choice_keeps_the_filters_and_the_filters_keep_the_round(world, reader_client):
    planned = reader_client.get(url("followup:dashboard", world), {"status": "planned"})
    text = planned.content.decode()
    assert 'href="?status=planned&amp;round=open">Show preliminary figures' in text

    preliminary = reader_client.get(
        url("followup:dashboard", world), {"status": "planned", "round": "open"}
    )
    text = preliminary.content.decode()
    assert preliminary.context["activity_count"] == 3
    assert "Preliminary figures from the open follow-up" in text
    assert '<input type="hidden" name="round" value="open">' in text
    assert 'href="?status=planned">Show the final figures' in text


def test_without_a_closed_round_the_dashboard_says_so_and_offers_the_open_one(reader_client):
    plan = PlanFactory()
    ActivityFactory(plan=plan)
    follow_up = FollowUp.objects.create(
        plan=plan, year=plan.start_year, deadline=datetime.date(plan.start_year + 1, 1, 31)
    )
    address = reverse("followup:dashboard", args=[plan.declaration.slug])

    text = reader_client.get(address).content.decode()
    preliminary = reader_client.get(address, {"round": "open"}).content.decode()

    assert "No follow-up of this plan has been closed yet, so there are no final" in text
    assert f"Show preliminary figures from the open follow-up {follow_up.year}" in text
    assert f"Preliminary figures from the open follow-up {follow_up.year}" in preliminary
    assert "No follow-up of this plan has been closed yet" in preliminary


def test_asking_for_preliminary_figures_without_an_open_round_shows_the_closed_ones(
    world, reader_client
):
    FollowUp.objects.filter(pk=world["this_round"].pk).update(state=FollowUpState.CLOSED)

    text = reader_client.get(url("followup:dashboard", world), {"round": "open"}).content.decode()

    year = world["this_round"].year
    assert f"latest closed follow-up, {year}: 2 of 5 activities" in text
    assert "No follow-up of this plan is open, so there are no preliminary figures." in text


def test_the_dashboard_counts_by_type_and_lead_organisation(world, reader_client):
    page = tables(reader_client.get(url("followup:dashboard", world)))
    types = page["Activities by type, per goal and in total"]
    organisations = page["Activities by lead organisation, per goal and in total"]

    assert row_of(types, "Within existing budget")["Total"] == "2"
    assert row_of(types, "Longer term (investment)")["Total"] == "1"
    assert row_of(types, "No type")["Goal 2: Delaktighet"] == "1"
    assert row_of(organisations, "HBN")["Total"] == "2"
    assert row_of(organisations, "Kommunen")["Total"] == "2"
    assert row_of(organisations, "No lead organisation")["Total"] == "1"


def test_the_dashboard_lists_incomplete_and_late_activities_with_links(world, reader_client):
    response = reader_client.get(url("followup:dashboard", world))
    page = tables(response)
    activities = world["activities"]
    incomplete = page["Incomplete activities and what they are missing"]
    late = page["Late activities and why"]

    assert [row[1] for row in incomplete[1:]] == ["Ofullständig insats"]
    assert row_of(incomplete, activities["incomplete"].reference_code)["Missing"] == (
        "Schedule, responsibility, measurability, activity type"
    )
    assert {row[1] for row in late[1:]} == {"Sen insats", "Ej startad insats"}
    assert (
        "Planned end has passed" in row_of(late, activities["late_end"].reference_code)["Why late"]
    )
    assert (
        "Planned start has passed but it has not started"
        in (row_of(late, activities["late_start"].reference_code)["Why late"])
    )
    text = response.content.decode()
    for name in ("incomplete", "late_end", "late_start"):
        assert f'href="{activities[name].get_absolute_url()}"' in text


def test_the_dashboard_shows_each_indicators_latest_value_against_baseline_and_target(
    world, reader_client
):
    this_year = timezone.localdate().year
    indicators = tables(reader_client.get(url("followup:dashboard", world)))[
        "Indicators: latest value against baseline and target"
    ]

    deltagare = row_of(indicators, "Deltagare")
    assert deltagare["Baseline"] == f"10 ({this_year - 3})"
    assert deltagare["Target"] == f"30 ({this_year + 1})"
    assert deltagare["Latest value"] == f"24 ({this_year})"
    assert "70 %" in deltagare["Progress"]
    assert "Better than the baseline" in deltagare["Progress"]
    assert row_of(indicators, "Nöjda boende")["Latest value"] == "–"
    assert "No value reported yet" in row_of(indicators, "Nöjda boende")["Progress"]


def test_the_dashboard_charts_are_described_images_without_inline_styles(world, reader_client):
    text = reader_client.get(url("followup:dashboard", world)).content.decode()

    assert 'role="img" aria-label="Activities by status: Planned 3, Ongoing 1, Done 1,' in text
    assert "style=" not in text


def test_without_a_round_the_dashboard_says_there_are_no_assessments(reader_client):
    plan = PlanFactory()
    ActivityFactory(plan=plan)

    text = reader_client.get(
        reverse("followup:dashboard", args=[plan.declaration.slug])
    ).content.decode()

    assert "No follow-up of this plan has been opened yet" in text


# --- the timeline --------------------------------------------------------------------------


def test_the_timeline_shows_the_schedule_note_where_dates_are_missing(world, reader_client):
    response = reader_client.get(url("plans:timeline", world))
    strategy_21 = tables(response)["Schedule of the activities under strategy 2.1"]

    note_row = next(row for row in strategy_21 if "Insats med hösttermin" in row[0])
    assert note_row[1:] == ["No dates", "No dates: HT 2027"]
    incomplete_row = next(row for row in strategy_21 if "Ofullständig insats" in row[0])
    assert incomplete_row[2] == "No schedule"


def test_the_timeline_marks_late_activities_in_words_and_colour(world, reader_client):
    response = reader_client.get(url("plans:timeline", world))
    text = response.content.decode()
    strategy_11 = tables(response)["Schedule of the activities under strategy 1.1"]

    late_row = next(row for row in strategy_11 if "Sen insats" in row[0])
    done_row = next(row for row in strategy_11 if "Klar insats" in row[0])
    assert "Late Planned end has passed" in late_row[1]
    assert "Late" not in done_row[1]
    assert text.count('class="timeline__row--late"') == 2
    assert 'fill="#c62828"' in text
    assert "2 of 5 activities are late." in text


def test_the_timeline_spans_the_plan_period_to_next_year_when_it_is_open_ended(
    world, reader_client
):
    this_year = timezone.localdate().year
    text = reader_client.get(url("plans:timeline", world)).content.decode()

    assert f"from {this_year - 3} to {this_year + 1}" in text
    assert "The dashed line marks today" in text
    assert "style=" not in text


@translation.override("en")
def test_late_means_end_passed_or_start_passed_while_still_planned():
    today = datetime.date(2026, 5, 20)
    activity = Activity(status=ActivityStatus.PLANNED, planned_start=datetime.date(2026, 5, 1))
    assert activity.late_reasons(today) == []  # it may still start this month
    activity.planned_start = datetime.date(2026, 4, 1)
    assert activity.late_reasons(today) == ["planned start has passed but it has not started"]
    activity.status = ActivityStatus.ONGOING
    assert activity.late_reasons(today) == []
    activity.planned_end = datetime.date(2026, 4, 1)
    assert activity.late_reasons(today) == ["planned end has passed"]
    activity.status = ActivityStatus.DONE
    assert activity.late_reasons(today) == []


# --- the coverage matrix -------------------------------------------------------------------


def test_the_coverage_matrix_counts_activities_and_marks_empty_cells(world, reader_client):
    page = tables(reader_client.get(url("plans:coverage", world)))
    factors = page["Activities per strategy and critical success factor"]
    programme = page["Activities per strategy and programme goal"]

    strategy_11 = row_of(factors, "1.1 Rörelse")
    assert strategy_11["Boendekraft"] == "2"
    assert strategy_11["Kommunikation"] == "0 – missing"
    assert strategy_11["No success factor"] == "0"
    assert strategy_11["All activities"] == "2"
    assert row_of(factors, "1.2 Blandning")["No success factor"] == "1"
    assert row_of(factors, "2.1 Arbete")["Kommunikation"] == "1"
    assert row_of(factors, "2.1 Arbete")["Boendekraft"] == "0 – missing"
    assert row_of(factors, "Goal 1: Trivsam stadsdel")["Boendekraft"] == "2"
    assert row_of(factors, "All goals")["Boendekraft"] == "2"
    assert row_of(factors, "All goals")["All activities"] == "5"
    assert row_of(programme, "1.2 Blandning")["Öka tryggheten"] == "1"
    assert row_of(programme, "Goal 2: Delaktighet")["Öka tryggheten"] == "0 – missing"


def test_the_coverage_matrix_marks_a_strategy_without_activities(world, reader_client):
    StrategyFactory(goal=world["activities"]["note"].strategy.goal, position=2, title="Tom")

    factors = tables(reader_client.get(url("plans:coverage", world)))[
        "Activities per strategy and critical success factor"
    ]

    assert row_of(factors, "2.2 Tom")["All activities"] == "0 – missing"


# --- who may see the pages -----------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_the_login(world, client, name):
    response = client.get(url(name, world))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_a_user_without_a_role_is_refused(world, django_user_model, name):
    nobody = django_user_model.objects.create_user("utan-roll")

    assert english_client(nobody).get(url(name, world)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_a_reader_sees_the_page(world, django_user_model, name):
    user = django_user_model.objects.create_user("lasaren")
    user.groups.add(Group.objects.get(name="Läsare"))

    response = english_client(user).get(url(name, world))

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("name", PAGES)
def test_a_declaration_without_a_plan_has_no_overview(reader_client, name):
    declaration = DeclarationFactory()

    assert reader_client.get(reverse(name, args=[declaration.slug])).status_code == 404


def test_the_declaration_page_links_to_the_three_overviews(world, reader_client):
    text = reader_client.get(world["declaration"].get_absolute_url()).content.decode()

    for name in PAGES:
        assert f'href="{url(name, world)}"' in text


# --- queries -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_the_query_count_does_not_grow_with_activities(make_activities, reader_client, name):
    plan, activities = make_activities(5)
    factor = SuccessFactor.objects.create(slug="test-faktor", title="Faktor")
    follow_up = FollowUp.objects.create(
        plan=plan, year=plan.start_year, deadline=datetime.date(plan.start_year + 1, 1, 31)
    )

    def fill(batch):
        for activity in batch:
            activity.success_factors.add(factor)
            review = ActivityReview.objects.create(
                follow_up=follow_up,
                activity=activity,
                assessment=Assessment.ON_TRACK,
                done="Klart.",
                new_status=ActivityStatus.ONGOING,
            )
            IndicatorValue.objects.create(
                review=review, indicator=activity.indicators.get(), actual_value=Decimal("12.5")
            )

    fill(activities)
    address = reverse(name, args=[plan.declaration.slug])
    few = count_queries(reader_client, address)
    _plan, more = make_activities(35, plan=plan)
    fill(more[::2])
    ActivityFactory(plan=plan, strategy=more[0].strategy, incomplete=True)

    assert count_queries(reader_client, address) == few


def test_timeline_bars_run_from_the_start_month_through_the_end_month():
    scale = TimelineScale(2024, 2025, today=datetime.date(2025, 7, 1))  # 24 months, 600 units

    assert scale.bar(datetime.date(2024, 1, 1), datetime.date(2025, 12, 1)) == {
        "x": 0,
        "width": 600,
        "right": 600,
        "before": False,
        "after": False,
    }
    assert scale.bar(datetime.date(2024, 7, 1), None)["width"] == 25  # one month
    assert scale.bar(datetime.date(2023, 3, 1), datetime.date(2026, 1, 1))["before"] is True
    assert scale.bar(datetime.date(2027, 1, 1), datetime.date(2027, 6, 1)) == {"outside": True}
    assert scale.bar(None, None) is None
    assert scale.today_x == 450


def test_the_latest_assessment_filters_the_declaration_page_and_the_overview(
    django_user_model, client
):
    import datetime

    from django.contrib.auth.models import Group

    from followup.models import ActivityReview, Assessment, FollowUp
    from plans.models import ActivityStatus
    from tests.factories import ActivityFactory, PlanFactory

    plan = PlanFactory(start_year=2024, end_year=2027)
    on_track, deviating, silent = (
        ActivityFactory(plan=plan, title=title) for title in ["Läxhjälp", "Städdag", "Loppis"]
    )
    old = FollowUp.objects.create(plan=plan, year=2024, deadline=datetime.date(2025, 1, 31))
    latest = FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))
    for follow_up, activity, assessment in [
        (old, silent, Assessment.SERIOUS_DEVIATION),
        (latest, on_track, Assessment.ON_TRACK),
        (latest, deviating, Assessment.DEVIATION),
    ]:
        ActivityReview.objects.create(
            follow_up=follow_up,
            activity=activity,
            assessment=assessment,
            done="x",
            deviations="y",
            new_status=ActivityStatus.ONGOING,
        )
    # Only closed rounds' assessments are final; an open round's do not filter yet.
    FollowUp.objects.filter(pk__in=[old.pk, latest.pk]).update(state=FollowUpState.CLOSED)
    preliminary = FollowUp.objects.create(plan=plan, year=2026, deadline=datetime.date(2027, 1, 31))
    ActivityReview.objects.create(
        follow_up=preliminary,
        activity=on_track,
        assessment=Assessment.SERIOUS_DEVIATION,
        done="x",
        deviations="y",
        new_status=ActivityStatus.ONGOING,
    )
    reader = django_user_model.objects.create_user("lasare2")
    reader.groups.add(Group.objects.get(name="Läsare"))
    client.force_login(reader)
    declaration_url = plan.declaration.get_absolute_url()
    overview_url = reverse("followup:dashboard", args=[plan.declaration.slug])

    def titles(url, **params):
        return shown_activity_titles(client.get(url, params))

    assert titles(declaration_url, assessment="deviation") == {"Städdag"}
    # Neither the older round's serious deviation nor the open round's counts: only the latest
    # closed round does.
    assert titles(declaration_url, assessment="serious_deviation") == set()
    assert titles(declaration_url, assessment="not_reported") == {"Loppis"}
    overview = client.get(overview_url, {"assessment": "on_track"})
    assert overview.context["activity_count"] == 1
    assert 'name="assessment"' in overview.content.decode()


def test_long_lists_show_their_first_rows_and_a_link_to_show_them_whole(
    make_activities, reader_client
):
    plan, activities = make_activities(13)
    Activity.objects.filter(pk__in=[a.pk for a in activities]).update(
        planned_start=datetime.date(2020, 1, 1), planned_end=datetime.date(2021, 1, 1)
    )
    address = reverse("followup:dashboard", args=[plan.declaration.slug])

    first = reader_client.get(address, {"status": "planned"})
    html = first.content.decode()
    late_table = tables(first)["Late activities and why"]
    assert len(late_table) - 1 == 10
    assert "(13)" in html
    whole = "?status=planned&amp;alla=forsenade#forsenade"
    assert f'href="{whole}"' in html
    assert "Show all 13" in html

    shown_whole = reader_client.get(address, {"status": "planned", "alla": "forsenade"})
    assert len(tables(shown_whole)["Late activities and why"]) - 1 == 13
    # Only the list asked for is shown whole.
    assert len(tables(shown_whole)["Indicators: latest value against baseline and target"]) == 11
    # Something that is not a list's name shows every list short, and no error.
    unknown = reader_client.get(address, {"alla": "<script>"})
    assert unknown.status_code == 200
    assert len(tables(unknown)["Late activities and why"]) - 1 == 10
