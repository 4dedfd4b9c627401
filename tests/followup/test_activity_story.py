"""The activity's whole story on its page: every follow-up of it, newest first, and each
indicator's latest value and progress beside its baseline and target."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from followup.models import Assessment, FollowUp, FollowUpState
from strategies.models import Membership
from tests.conftest import count_queries
from tests.factories import (
    ActivityFactory,
    ActivityReviewFactory,
    IndicatorFactory,
    OrganisationFactory,
    PlanFactory,
)

pytestmark = pytest.mark.django_db


def english_client(user) -> Client:
    # Assertions read the English source strings, so they hold once Swedish is translated.
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def person(django_user_model, username, group, organisation) -> Client:
    user = django_user_model.objects.create_user(username, is_staff=group != "Läsare")
    user.groups.add(Group.objects.get(name=group))
    Membership.objects.create(user=user, organisation=organisation)
    return english_client(user)


def close(*rounds: FollowUp) -> None:
    # Straight to the stored state: closing through the portal writes a plan version too, which
    # these pages do not read.
    FollowUp.objects.filter(pk__in=[round_.pk for round_ in rounds]).update(
        state=FollowUpState.CLOSED
    )


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(html: str, heading_id: str) -> str:
    """The text of the page's section labelled by the heading with this id."""
    start = html.index(f'<section aria-labelledby="{heading_id}"')
    return text_of(html[start : html.index("</section>", start)])


def indicator_row(html: str, name: str) -> str:
    rows = re.findall(r"<tr>.*?</tr>", html, flags=re.S)
    return text_of(next(row for row in rows if f'<th scope="row">{name}</th>' in row))


@pytest.fixture
def world(django_user_model):
    plan = PlanFactory(start_year=2023, end_year=2026)
    kommun = OrganisationFactory(name="Norrköpings kommun")
    hbn = OrganisationFactory(name="Hyresbostäder i Norrköping")
    activity = ActivityFactory(plan=plan, lead_organisation=kommun, title="Läxhjälp")
    visitors = IndicatorFactory(
        activity=activity,
        name="Deltagare per vecka",
        unit="st",
        baseline_value=10,
        baseline_year=2023,
        target_value=30,
        target_year=2026,
    )
    satisfied = IndicatorFactory(
        activity=activity,
        name="Nöjda föräldrar",
        unit="%",
        baseline_value=60,
        baseline_year=2023,
        target_value=80,
        target_year=2026,
    )
    rounds = {
        year: FollowUp.objects.create(plan=plan, year=year, deadline=datetime.date(year + 1, 1, 31))
        for year in (2023, 2024, 2025)
    }
    ActivityReviewFactory(
        follow_up=rounds[2023],
        activity=activity,
        assessment=Assessment.SERIOUS_DEVIATION,
        done="Läxhjälpen startade först i november.",
        deviations="Ingen lokal förrän i oktober.",
        next_step="Boka biblioteket för hela året.",
        actual_values={visitors: Decimal("12"), satisfied: Decimal("55")},
    )
    ActivityReviewFactory(
        follow_up=rounds[2024],
        activity=activity,
        assessment=Assessment.ON_TRACK,
        done="Två kvällar i veckan på biblioteket.",
        next_step="En tredje kväll.",
        actual_values={visitors: Decimal("20"), satisfied: None},
    )
    # 2025 stays open and nobody has reported yet; 2023 and 2024 are closed.
    close(rounds[2023], rounds[2024])
    return {
        "plan": plan,
        "activity": activity,
        "visitors": visitors,
        "satisfied": satisfied,
        "rounds": rounds,
        "reader": person(django_user_model, "lasse", "Läsare", kommun),
        "kommun_editor": person(django_user_model, "kerstin", "Redaktör", kommun),
        "hbn_editor": person(django_user_model, "hanna", "Redaktör", hbn),
    }


def page(world, who="reader") -> str:
    response = world[who].get(world["activity"].get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_every_follow_up_of_the_activity_is_told_newest_first(world):
    html = page(world)
    story = section(html, "uppfoljningar")

    years = re.findall(r'<h3 id="uppfoljning-\d+"><a href="([^"]+)">Follow-up (\d{4})</a>', html)
    assert years == [
        (world["rounds"][year].get_absolute_url(), str(year)) for year in (2025, 2024, 2023)
    ]
    open_round, on_track, serious = (
        story[story.index(f"Follow-up {year}") :] for year in (2025, 2024, 2023)
    )
    assert open_round.startswith("Follow-up 2025 Preliminary, round open Not yet reported")
    assert on_track.startswith("Follow-up 2024 Closed On track")
    assert "What was done Två kvällar i veckan på biblioteket." in on_track
    assert "Deviations and why – Next step En tredje kväll." in on_track
    assert serious.startswith("Follow-up 2023 Closed Serious deviation")
    assert "What was done Läxhjälpen startade först i november." in serious
    assert "Deviations and why Ingen lokal förrän i oktober." in serious
    assert "Next step Boka biblioteket för hela året." in serious
    assert (
        "Indicator values 2023 Indicator Value Unit Deltagare per vecka 12 st Nöjda föräldrar 55 %"
        in serious
    )


def test_the_follow_ups_come_between_the_indicators_and_the_change_history(world):
    html = page(world)

    headings = re.findall(r"<h2 id=\"([^\"]+)\">", html)
    assert headings.index("indikatorer") < headings.index("uppfoljningar")
    assert headings.index("uppfoljningar") < headings.index("historik")


def test_a_closed_round_without_a_report_says_not_reported(world):
    activity = world["activity"]
    later = ActivityFactory(plan=world["plan"], lead_organisation=activity.lead_organisation)

    story = section(world["reader"].get(later.get_absolute_url()).content.decode(), "uppfoljningar")

    assert "Follow-up 2024 Closed Not reported Follow-up 2023 Closed Not reported" in story
    assert "Follow-up 2025 Preliminary, round open Not yet reported" in story


def report_url(world) -> str:
    return reverse("followup:review-edit", args=[world["rounds"][2025].pk, world["activity"].pk])


@pytest.mark.parametrize(
    ("who", "may_report"), [("reader", False), ("hbn_editor", False), ("kommun_editor", True)]
)
def test_only_who_may_report_is_offered_the_report_form(world, who, may_report):
    html = page(world, who)

    assert (report_url(world) in html) is may_report
    if may_report:
        assert "Fill in the report" in section(html, "uppfoljningar")
    # Closed rounds take no reports from anyone.
    for year in (2023, 2024):
        closed = reverse(
            "followup:review-edit", args=[world["rounds"][year].pk, world["activity"].pk]
        )
        assert closed not in html


def test_an_open_round_report_is_preliminary_and_can_be_changed(world):
    ActivityReviewFactory(
        follow_up=world["rounds"][2025],
        activity=world["activity"],
        assessment=Assessment.DEVIATION,
        done="Tre kvällar.",
        deviations="En ledare slutade.",
        actual_values={world["visitors"]: Decimal("25")},
    )

    html = page(world, "kommun_editor")
    story = section(html, "uppfoljningar")

    assert story.startswith("Follow-ups Follow-up 2025 Preliminary, round open Deviation")
    assert report_url(world) in html
    assert "Change the report" in story
    assert "Indicator values 2025 Indicator Value Unit Deltagare per vecka 25 st" in story


def test_the_indicator_table_shows_the_latest_value_and_progress(world):
    html = page(world)

    assert '<th scope="col" class="num">Latest value</th>' in html
    # 2024's value: 10 of the 20 from the baseline to the target.
    assert indicator_row(html, "Deltagare per vecka") == (
        "Deltagare per vecka st 10 (2023) 30 (2026) higher is better – 20 (2024) "
        "50 % Better than the baseline"
    )
    # 2024 reported no value: 2023's stands, below the baseline, and the bar stays empty.
    satisfied = indicator_row(html, "Nöjda föräldrar")
    assert satisfied.startswith(
        "Nöjda föräldrar % 60 (2023) 80 (2026) higher is better – 55 (2023)"
    )
    assert satisfied.endswith("-25 % Worse than the baseline")
    assert 'aria-label="50 % of the way from the baseline to the target"' in html
    assert '<rect x="0" y="0" width="50" height="10"' in html
    assert 'aria-label="-25 % of the way from the baseline to the target"' in html


def test_a_value_of_the_open_round_is_marked_preliminary(world):
    ActivityReviewFactory(
        follow_up=world["rounds"][2025],
        activity=world["activity"],
        actual_values={world["visitors"]: Decimal("34")},
    )

    row = indicator_row(page(world), "Deltagare per vecka")

    assert row.endswith("34 (2025) preliminary, round open 120 % Target reached")


def test_an_indicator_never_reported_says_so(world):
    IndicatorFactory(activity=world["activity"], name="Utlånade böcker", baseline_value=None)

    row = indicator_row(page(world), "Utlånade böcker")

    assert row.endswith("– No value reported yet")
    assert "of the way" not in row


def test_a_plan_never_followed_up_says_so(world):
    other = ActivityFactory(title="Utan uppföljning")

    html = world["reader"].get(other.get_absolute_url()).content.decode()

    assert section(html, "uppfoljningar") == ("Follow-ups The plan has not been followed up yet.")


def make_story(plan_years, indicator_count):
    """An activity with `indicator_count` indicators, reported with every value in every round
    of `plan_years` but the last, which stays open and reported too."""
    organisation = OrganisationFactory(name="Norrköpings kommun")
    plan = PlanFactory(start_year=plan_years[0], end_year=plan_years[-1])
    activity = ActivityFactory(plan=plan, lead_organisation=organisation)
    indicators = [IndicatorFactory(activity=activity) for _ in range(indicator_count)]
    rounds = []
    for year in plan_years:
        follow_up = FollowUp.objects.create(
            plan=plan, year=year, deadline=datetime.date(year + 1, 1, 31)
        )
        ActivityReviewFactory(
            follow_up=follow_up,
            activity=activity,
            assessment=Assessment.DEVIATION,
            deviations="Sent.",
            actual_values=dict.fromkeys(indicators, Decimal(year - 1960)),
        )
        rounds.append(follow_up)
    close(*rounds[:-1])
    return activity


def test_the_page_queries_do_not_grow_with_rounds_indicators_and_reports(
    django_user_model, django_assert_max_num_queries
):
    organisation = OrganisationFactory(name="Norrköpings kommun")
    editor = person(django_user_model, "kerstin", "Redaktör", organisation)
    small = make_story([2024], 1)
    large = make_story([2021, 2022, 2023, 2024, 2025], 10)
    with_one = count_queries(editor, small.get_absolute_url())

    with django_assert_max_num_queries(with_one):
        html = editor.get(large.get_absolute_url()).content.decode()
    assert len(re.findall(r'<h3 id="uppfoljning-\d+">', html)) == 5
    assert html.count("preliminary, round open") == 10
    open_round = FollowUp.objects.get(plan=large.plan, year=2025)
    assert reverse("followup:review-edit", args=[open_round.pk, large.pk]) in html
