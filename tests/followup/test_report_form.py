"""Reporting an activity as an editor: the form's errors in GOV.UK's pattern, its hints, last
year's report beside it, the round page's defaults and filters, and where saving leads."""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from followup.models import ActivityReview, Assessment, FollowUp
from followup.rounds import close_round
from plans.models import ActivityStatus
from strategies.models import Membership
from tests.conftest import count_queries
from tests.factories import (
    ActivityFactory,
    IndicatorFactory,
    OrganisationFactory,
    PlanFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(django_user_model):
    """A round of a plan with three activities in code order: two led by the kommun (one by
    its unit), one by Hyresbostäder."""
    plan = PlanFactory(start_year=2024, end_year=2027)
    kommun = OrganisationFactory(name="Norrköpings kommun")
    unit = OrganisationFactory(name="Kultur- och fritidskontoret", parent=kommun)
    hbn = OrganisationFactory(name="Hyresbostäder i Norrköping")
    first = ActivityFactory(plan=plan, lead_organisation=unit, title="Läxhjälp")
    strategy = first.strategy
    second = ActivityFactory(
        plan=plan, strategy=strategy, lead_organisation=hbn, title="Trapphusmöten"
    )
    third = ActivityFactory(
        plan=plan, strategy=strategy, lead_organisation=kommun, title="Sommarlovsaktiviteter"
    )
    IndicatorFactory(activity=first, name="Deltagare", unit="st", baseline_value=10)
    follow_up = FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))

    def person(username, group, organisation):
        user = django_user_model.objects.create_user(
            username, first_name=username.capitalize(), is_staff=group != "Läsare"
        )
        user.groups.add(Group.objects.get(name=group))
        Membership.objects.create(user=user, organisation=organisation)
        client = Client()
        client.force_login(user)
        # The English source texts: the Swedish ones are merged separately.
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return user, client

    return {
        "plan": plan,
        "follow_up": follow_up,
        "strategy": strategy,
        "kommun": kommun,
        "hbn": hbn,
        "first": first,
        "second": second,
        "third": third,
        "editor": person("kerstin", "Redaktör", kommun),
        "hbn_editor": person("hanna", "Redaktör", hbn),
        "admin": person("pia", "Planadministratör", kommun),
        "reader": person("lars", "Läsare", kommun),
    }


def form_url(world, activity):
    return reverse("followup:review-edit", args=[world["follow_up"].pk, activity.pk])


def round_url(world):
    return reverse("followup:round-detail", args=[world["follow_up"].pk])


def report_data(**changes):
    return {
        "assessment": Assessment.ON_TRACK,
        "done": "Tre träffar genomförda.",
        "deviations": "",
        "next_step": "Fortsätt.",
        "new_status": ActivityStatus.ONGOING,
        "version": 0,
        **changes,
    }


def report(follow_up, activity, **fields):
    return ActivityReview.objects.create(
        follow_up=follow_up,
        activity=activity,
        assessment=fields.pop("assessment", Assessment.ON_TRACK),
        done=fields.pop("done", "Klart"),
        new_status=ActivityStatus.ONGOING,
        **fields,
    )


def shown_titles(response) -> list[str]:
    return re.findall(
        r'<th scope="row" class="activity-title"><a [^>]*>([^<]*)</a>', response.content.decode()
    )


# The report form's errors


def test_an_incomplete_report_lists_every_error_as_a_link_to_its_field(world):
    _user, client = world["editor"]

    response = client.post(
        form_url(world, world["first"]), report_data(assessment="", done="", new_status="")
    )
    html = response.content.decode()
    start = html.index('class="error-summary"')
    summary = html[start : html.index("</ul>", start)]

    assert response.status_code == 200
    assert ActivityReview.objects.count() == 0
    assert "There is a problem" in summary
    assert '<a href="#id_assessment_0">Choose how the activity went</a>' in summary
    assert '<a href="#id_done">Describe what was done during the year</a>' in summary
    assert '<a href="#id_new_status">' in summary
    assert re.search(r"<title>Error: Report", html)


def test_the_error_summary_takes_focus_without_a_script(world):
    _user, client = world["editor"]

    html = client.post(form_url(world, world["first"]), report_data(done="")).content.decode()

    summary_tag = re.search(r'<div class="error-summary"[^>]*>', html).group(0)
    assert "autofocus" in summary_tag
    assert 'tabindex="-1"' in summary_tag
    assert "<script>" not in html


def test_a_refused_stale_report_is_listed_in_the_error_summary(world):
    _kerstin, kerstin = world["editor"]
    _pia, pia = world["admin"]
    url = form_url(world, world["first"])
    pia.post(url, report_data(done="Pias text"))

    html = kerstin.post(url, report_data(done="Kerstins text")).content.decode()

    start = html.index('class="error-summary"')
    summary = html[start : html.index("</ul>", start)]
    assert re.search(r"<li>[^<]*Pia[^<]*</li>", summary)
    assert ActivityReview.objects.get().done == "Pias text"


def test_deviations_are_asked_for_in_words_that_name_the_assessment(world):
    _user, client = world["editor"]

    deviation = client.post(
        form_url(world, world["first"]), report_data(assessment=Assessment.DEVIATION)
    )
    serious = client.post(
        form_url(world, world["first"]), report_data(assessment=Assessment.SERIOUS_DEVIATION)
    )

    message = "Describe the deviation and its cause when the assessment is Deviation"
    assert deviation.context["form"].errors["deviations"] == [message]
    assert f'<a href="#id_deviations">{message}</a>' in deviation.content.decode()
    assert serious.context["form"].errors["deviations"] == [
        "Describe the deviation and its cause when the assessment is Serious deviation"
    ]
    assert ActivityReview.objects.count() == 0


def test_each_field_shows_its_message_above_its_input_and_is_marked_invalid(world):
    _user, client = world["editor"]

    html = client.post(
        form_url(world, world["first"]), report_data(assessment=Assessment.DEVIATION)
    ).content.decode()

    field = html[html.index('<label for="id_deviations"') :]
    field = field[: field.index("</textarea>")]
    assert field.index('id="id_deviations_error"') < field.index("<textarea")
    textarea = re.search(r"<textarea[^>]*>", field).group(0)
    assert 'aria-invalid="true"' in textarea
    assert "id_deviations_error" in re.search(r'aria-describedby="([^"]*)"', textarea).group(1)


def test_a_bad_indicator_value_is_named_and_linked(world):
    _user, client = world["editor"]
    indicator = world["first"].indicators.get()

    html = client.post(
        form_url(world, world["first"]), report_data(**{f"indicator_{indicator.pk}": "många"})
    ).content.decode()

    assert (
        f'<a href="#id_indicator_{indicator.pk}">Enter the actual value of Deltagare as a number'
        in html
    )


def test_each_assessment_level_has_a_hint_tied_to_its_radio_button(world):
    _user, client = world["editor"]

    html = client.get(form_url(world, world["first"])).content.decode()

    radios = re.findall(r'<input type="radio"[^>]*>', html)
    assert len(radios) == 3
    for radio in radios:
        hint_id = re.search(r'aria-describedby="([^"]*)"', radio).group(1)
        assert re.search(rf'<p class="help radio__hint" id="{hint_id}">\w', html)
    assert "goes as planned" in html
    assert "without a decision by the steering group" in html


# Last year's report


def test_last_years_report_is_shown_beside_the_form(world):
    admin, client = world["admin"]
    earlier = FollowUp.objects.create(
        plan=world["plan"], year=2024, deadline=datetime.date(2025, 1, 31)
    )
    report(
        earlier,
        world["first"],
        assessment=Assessment.DEVIATION,
        done="Två träffar av fyra.",
        deviations="Ingen lokal.",
        next_step="Boka biblioteket.",
    )
    close_round(earlier, user=admin, reason="Resten rapporteras muntligt.")

    html = client.get(form_url(world, world["first"])).content.decode()
    previous = html[html.index('<aside class="report-layout__previous') : html.index("</aside>")]

    assert "Last year&#x27;s report" in previous or "Last year's report" in previous
    assert "Follow-up 2024" in previous
    for text in ("deviation", "Två träffar av fyra.", "Ingen lokal.", "Boka biblioteket."):
        assert text in previous


def test_without_a_closed_earlier_round_there_is_no_report_last_year(world):
    _user, client = world["admin"]
    # An open round of a later year is not last year's.
    later = FollowUp.objects.create(
        plan=world["plan"], year=2026, deadline=datetime.date(2027, 1, 31)
    )
    report(later, world["first"], done="Nästa års text")

    html = client.get(form_url(world, world["first"])).content.decode()

    assert "No report last year." in html
    assert "Nästa års text" not in html


# The round page's defaults and filters


def test_an_editor_sees_their_organisations_unreported_activities_first(world):
    _user, client = world["editor"]
    report(world["follow_up"], world["third"])

    response = client.get(round_url(world))

    assert shown_titles(response) == ["Läxhjälp"]
    html = response.content.decode()
    assert f'href="{round_url(world)}?organisation=&amp;state="' in html
    assert "Show all activities" in html
    kommun = world["kommun"].display_name
    assert f"Showing the activities of {kommun} that are not reported yet." in html


@pytest.mark.parametrize("who", ["admin", "reader"])
def test_plan_admins_and_readers_see_every_activity_by_default(world, who):
    _user, client = world[who]
    report(world["follow_up"], world["third"])

    assert shown_titles(client.get(round_url(world))) == [
        "Läxhjälp",
        "Trapphusmöten",
        "Sommarlovsaktiviteter",
    ]


def test_an_explicit_empty_choice_is_not_replaced_by_the_editors_default(world):
    _user, client = world["editor"]
    report(world["follow_up"], world["third"])

    every = client.get(round_url(world), {"organisation": "", "state": ""})

    assert shown_titles(every) == ["Läxhjälp", "Trapphusmöten", "Sommarlovsaktiviteter"]


def test_the_report_state_filter_combines_with_the_organisation(world):
    _user, client = world["admin"]
    report(world["follow_up"], world["third"])
    kommun = world["kommun"].pk

    def titles(**query):
        return shown_titles(client.get(round_url(world), query))

    assert titles(organisation=kommun, state="reported") == ["Sommarlovsaktiviteter"]
    assert titles(organisation=kommun, state="not_reported") == ["Läxhjälp"]
    assert titles(organisation="", state="not_reported") == ["Läxhjälp", "Trapphusmöten"]
    assert titles(organisation=world["hbn"].pk, state="reported") == []


def test_each_row_of_the_round_page_is_an_anchor(world):
    _user, client = world["admin"]

    html = client.get(round_url(world)).content.decode()

    for activity in ("first", "second", "third"):
        assert f'<tr id="aktivitet-{world[activity].pk}">' in html


# Where saving leads


def test_saving_leads_to_the_editors_next_unreported_activity(world):
    _user, client = world["editor"]

    saved = client.post(form_url(world, world["first"]), report_data(), follow=True)

    # Trapphusmöten comes next in code order, but it is Hyresbostäder's to report.
    assert saved.redirect_chain == [(form_url(world, world["third"]), 302)]
    message = str(next(iter(saved.context["messages"])))
    first, third = world["first"].reference_code, world["third"].reference_code
    assert message == (
        f"The report for {first} was saved. This is {third}, the next of your activities "
        "that is not reported."
    )


def test_with_nothing_left_to_report_saving_leads_back_to_the_saved_row(world):
    _user, client = world["editor"]
    report(world["follow_up"], world["third"])

    saved = client.post(form_url(world, world["first"]), report_data())
    page = client.get(saved["Location"])

    assert saved.status_code == 302
    assert saved["Location"] == (
        f"{round_url(world)}?organisation=&state=#aktivitet-{world['first'].pk}"
    )
    assert f'id="aktivitet-{world["first"].pk}"' in page.content.decode()
    assert f"The report for {world['first'].reference_code} was saved." in page.content.decode()


def test_the_last_activity_in_the_list_leads_back_to_its_row(world):
    _user, client = world["editor"]

    saved = client.post(form_url(world, world["third"]), report_data())

    # Läxhjälp is unreported but comes before: the editor goes back to the list.
    assert saved["Location"].endswith(f"#aktivitet-{world['third'].pk}")


# Query counts


def add_activities(world, count):
    for number in range(count):
        activity = ActivityFactory(
            plan=world["plan"],
            strategy=world["strategy"],
            lead_organisation=world["kommun"] if number % 2 else world["hbn"],
        )
        if number % 3 == 0:
            report(world["follow_up"], activity)


@pytest.mark.parametrize("who", ["editor", "admin"])
def test_the_round_page_queries_do_not_grow_with_activities(
    world, who, django_assert_max_num_queries
):
    _user, client = world[who]
    add_activities(world, 7)
    with_ten = count_queries(client, round_url(world))
    add_activities(world, 190)

    with django_assert_max_num_queries(with_ten):
        response = client.get(round_url(world))
    assert response.status_code == 200


def test_the_report_form_queries_do_not_grow_with_activities(world, django_assert_max_num_queries):
    _user, client = world["editor"]
    add_activities(world, 7)
    url = form_url(world, world["first"])
    with_ten = count_queries(client, url)
    add_activities(world, 190)

    with django_assert_max_num_queries(with_ten):
        client.get(url)
    with django_assert_max_num_queries(with_ten):
        client.post(url, report_data(done=""))
