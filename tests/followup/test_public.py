"""The public page of a published declaration and its open data (JSON and CSV)."""

import csv
import datetime
import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from followup.models import ActivityReview, Assessment, FollowUp
from followup.rounds import close_round, save_review
from plans.models import Activity, ActivityStatus, ActivityType, PlanStatus
from strategies.models import Organisation
from tests.conftest import count_queries
from tests.factories import (
    ActivityFactory,
    DeclarationFactory,
    GoalFactory,
    OrganisationFactory,
    PlanFactory,
    StrategyFactory,
)

pytestmark = pytest.mark.django_db

PUBLIC_URLS = ["followup:public-declaration", "followup:public-json", "followup:public-csv"]
PERSONAL_NAMES = ["Anna Andersson", "Bertil", "Bengtsson"]
REVIEW_TEXTS = [
    "Intern text om vad som gjorts",
    "Intern förklaring av avvikelsen",
    "Internt nästa steg",
    "Utkast i öppen omgång",
]


def url(name, declaration):
    return reverse(name, args=[declaration.slug])


def review(follow_up, activity, assessment, *, by, text="Intern text om vad som gjorts"):
    return ActivityReview.objects.create(
        follow_up=follow_up,
        activity=activity,
        assessment=assessment,
        done=text,
        deviations="Intern förklaring av avvikelsen",
        next_step="Internt nästa steg",
        new_status=ActivityStatus.ONGOING,
        reviewed_by=by,
    )


@pytest.fixture
def world(django_user_model):
    kommun = OrganisationFactory(name="Norrköpings kommun")
    hbn = OrganisationFactory(name="Hyresbostäder i Norrköping")
    declaration = DeclarationFactory(
        slug="klockaretorpet",
        title="Avsiktsförklaring Klockaretorpet",
        vision="En stadsdel där alla trivs och vill bo kvar.",
        is_published=True,
    )
    declaration.partners.set([kommun, hbn])
    goal = GoalFactory(declaration=declaration, position=1, title="Trivsam stadsdel")
    strategy = StrategyFactory(
        goal=goal,
        position=1,
        title="Ökad rörelse",
        description="Stråk som binder ihop stadsdelen.",
    )
    plan = PlanFactory(
        declaration=declaration, name="Aktivitetsplan 2023–2026", status=PlanStatus.ACTIVE
    )
    activity = ActivityFactory(
        plan=plan,
        strategy=strategy,
        title="Trygghetsvandringar",
        description="Boende och fastighetsägare går runt i området.",
        activity_type=ActivityType.EXISTING_BUDGET,
        status=ActivityStatus.ONGOING,
        lead_organisation=hbn,
        responsible_unit="Anna Andersson",
    )
    activity.co_organisations.add(kommun)
    reviewer = django_user_model.objects.create_user(
        "granskare", first_name="Bertil", last_name="Bengtsson"
    )
    rounds = {}
    for year, assessment in [(2023, Assessment.ON_TRACK), (2024, Assessment.DEVIATION)]:
        rounds[year] = FollowUp.objects.create(
            plan=plan, year=year, deadline=datetime.date(year + 1, 1, 31)
        )
        review(rounds[year], activity, assessment, by=reviewer)
        close_round(rounds[year], user=reviewer)
    # This year's round is open: its report is a draft and must not be shown.
    rounds[2025] = FollowUp.objects.create(
        plan=plan, year=2025, deadline=datetime.date(2026, 1, 31)
    )
    review(
        rounds[2025],
        activity,
        Assessment.SERIOUS_DEVIATION,
        by=reviewer,
        text="Utkast i öppen omgång",
    )
    return {
        "declaration": declaration,
        "plan": plan,
        "strategy": strategy,
        "activity": activity,
        "rounds": rounds,
        "reviewer": reviewer,
    }


def visible_html(response) -> str:
    """The page as a reader sees it: soft hyphens (|hyphenate) show only at a line break."""
    return response.content.decode("utf-8").replace("&shy;", "")


def get_all(client, declaration) -> dict[str, str]:
    pages = {}
    for name in PUBLIC_URLS:
        response = client.get(url(name, declaration))
        assert response.status_code == 200, name
        pages[name] = visible_html(response)
    return pages


def test_anonymous_visitor_sees_the_published_declaration(world):
    response = Client().get(url("followup:public-declaration", world["declaration"]))

    assert response.status_code == 200
    html = visible_html(response)
    for text in [
        "Avsiktsförklaring Klockaretorpet",
        world["declaration"].district.name,
        "Norrköpings kommun",
        "Hyresbostäder i Norrköping",
        "En stadsdel där alla trivs och vill bo kvar.",
        "Trivsam stadsdel",
        "Ökad rörelse",
        "Stråk som binder ihop stadsdelen.",
        world["activity"].reference_code,
        "Trygghetsvandringar",
        "Boende och fastighetsägare går runt i området.",
        "Inom befintlig budget",
        world["activity"].schedule_label,
        "Pågående",
    ]:
        assert text in html, text
    # The assessments say where they come from.
    assert "2024" in html


def test_the_page_shows_no_staff_navigation_or_edit_links(world):
    html = visible_html(Client().get(url("followup:public-declaration", world["declaration"])))

    assert reverse("logout") not in html
    assert reverse("admin:index") not in html
    assert reverse("plans:activity-detail", args=[world["activity"].pk]) not in html
    assert reverse("admin:plans_activity_change", args=[world["activity"].pk]) not in html
    assert world["declaration"].get_absolute_url() not in html


@pytest.mark.parametrize("name", PUBLIC_URLS)
def test_an_unpublished_declaration_is_not_found_for_anyone(world, name, admin_client):
    draft = DeclarationFactory(is_published=False)
    PlanFactory(declaration=draft)

    assert Client().get(url(name, draft)).status_code == 404
    assert admin_client.get(url(name, draft)).status_code == 404
    assert Client().get(reverse(name, args=["finns-inte"])).status_code == 404


def test_no_personal_names_anywhere(world):
    pages = get_all(Client(), world["declaration"])

    for name, content in pages.items():
        for person in PERSONAL_NAMES:
            assert person not in content, (name, person)
        assert world["reviewer"].username not in content, name


def test_no_review_texts_anywhere(world):
    pages = get_all(Client(), world["declaration"])

    for name, content in pages.items():
        for text in REVIEW_TEXTS:
            assert text not in content, (name, text)


def test_the_assessment_comes_from_the_latest_closed_round_only(world):
    client = Client()
    html = visible_html(client.get(url("followup:public-declaration", world["declaration"])))
    data = client.get(url("followup:public-json", world["declaration"])).json()

    assert "badge--deviation" in html
    assert "badge--serious_deviation" not in html
    assert "badge--on_track" not in html
    assert data["assessment_year"] == 2024
    assert [(a["assessment"], a["assessment_label"]) for a in data["activities"]] == [
        ("deviation", "Avvikelse")
    ]


def test_without_a_closed_round_no_activity_has_an_assessment(world):
    other = PlanFactory(declaration=world["declaration"], start_year=2030, end_year=2033)
    # A newer active plan becomes the current one; it has only an open round.
    other.status = PlanStatus.ACTIVE
    other.save()
    activity = ActivityFactory(plan=other, strategy=world["strategy"], title="Ny aktivitet")
    open_round = FollowUp.objects.create(plan=other, year=2030, deadline=datetime.date(2031, 1, 31))
    review(open_round, activity, Assessment.SERIOUS_DEVIATION, by=world["reviewer"])
    client = Client()

    html = visible_html(client.get(url("followup:public-declaration", world["declaration"])))
    data = client.get(url("followup:public-json", world["declaration"])).json()

    assert "Ny aktivitet" in html
    assert "Trygghetsvandringar" not in html
    assert "badge--serious_deviation" not in html
    with translation.override("sv"):
        assert str(_("No assessment yet")) in html
    assert data["assessment_year"] is None
    assert [a["assessment"] for a in data["activities"]] == [None]


def test_a_status_reported_in_an_open_round_is_not_public_until_the_round_closes(world):
    # The open round's report moves the activity on at once in the portal…
    draft = ActivityReview.objects.get(follow_up=world["rounds"][2025])
    draft.new_status = ActivityStatus.DONE
    save_review(draft, actual_values={}, user=world["reviewer"])
    assert Activity.objects.get(pk=world["activity"].pk).status == ActivityStatus.DONE
    client = Client()

    html = visible_html(client.get(url("followup:public-declaration", world["declaration"])))
    data = client.get(url("followup:public-json", world["declaration"])).json()

    # …but the public sees the status the 2024 follow-up recorded.
    assert [(a["status"], a["status_label"]) for a in data["activities"]] == [
        ("ongoing", "Pågående")
    ]
    assert "badge--ongoing" in html
    assert "badge--done" not in html

    close_round(world["rounds"][2025], user=world["reviewer"])
    data = client.get(url("followup:public-json", world["declaration"])).json()
    assert [a["status"] for a in data["activities"]] == ["done"]


def test_an_activity_no_closed_round_has_seen_has_no_public_status(world):
    ActivityFactory(
        plan=world["plan"], strategy=world["strategy"], title="Ny läxhjälp", status="ongoing"
    )
    client = Client()

    html = visible_html(client.get(url("followup:public-declaration", world["declaration"])))
    data = client.get(url("followup:public-json", world["declaration"])).json()

    added = next(a for a in data["activities"] if a["title"] == "Ny läxhjälp")
    assert (added["status"], added["status_label"]) == (None, None)
    assert "Ej uppföljd ännu" in html


def test_a_published_declaration_shows_no_plan_that_is_still_a_draft(world):
    world["plan"].status = PlanStatus.DRAFT
    world["plan"].save()
    client = Client()

    html = visible_html(client.get(url("followup:public-declaration", world["declaration"])))
    data = client.get(url("followup:public-json", world["declaration"])).json()
    csv_text = client.get(url("followup:public-csv", world["declaration"])).content.decode()

    assert "Trygghetsvandringar" not in html
    assert "Avsiktsförklaringen har ingen antagen aktivitetsplan ännu." in html
    assert (data["plan"], data["activities"]) == (None, [])
    assert "Trygghetsvandringar" not in csv_text
    assert "Trivsam stadsdel" in html  # the declaration itself is published


def test_json_structure_and_headers(world):
    response = Client().get(url("followup:public-json", world["declaration"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=300"
    data = json.loads(response.content.decode("utf-8"))
    assert data["declaration"] == {
        "slug": "klockaretorpet",
        "title": "Avsiktsförklaring Klockaretorpet",
        "district": world["declaration"].district.name,
        "vision": "En stadsdel där alla trivs och vill bo kvar.",
        "partners": ["Hyresbostäder i Norrköping", "Norrköpings kommun"],
    }
    assert data["plan"] == {"name": "Aktivitetsplan 2023–2026", "period": "2023–2026"}
    assert data["goals"] == [
        {
            "position": 1,
            "title": "Trivsam stadsdel",
            "strategies": [{"number": "1.1", "title": "Ökad rörelse"}],
        }
    ]
    activity = world["activity"]
    assert data["activities"] == [
        {
            "code": activity.reference_code,
            "goal": 1,
            "strategy": "1.1",
            "title": "Trygghetsvandringar",
            "activity_type": "existing_budget",
            "activity_type_label": "Inom befintlig budget",
            "lead_organisation": "Hyresbostäder i Norrköping",
            "co_organisations": ["Norrköpings kommun"],
            "schedule": "mars 2024 – december 2025",
            "planned_start": "2024-03",
            "planned_end": "2025-12",
            "status": "ongoing",
            "status_label": "Pågående",
            "assessment": "deviation",
            "assessment_label": "Avvikelse",
        }
    ]


def test_open_data_ignores_the_visitors_language(world):
    client = Client()
    client.cookies["django_language"] = "en"

    data = client.get(url("followup:public-json", world["declaration"])).json()

    assert data["activities"][0]["status_label"] == "Pågående"


def test_csv_is_excel_friendly_and_formula_safe(world):
    world["activity"].title = '=HYPERLINK("http://example.com","Klicka")'
    world["activity"].save()
    world["activity"].lead_organisation = Organisation.objects.create(name="@Bolaget")
    world["activity"].save()

    response = Client().get(url("followup:public-csv", world["declaration"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=300"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8").removeprefix("\ufeff")
    assert text.splitlines()[0].count(";") == 14
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[:4] == ["Referenskod", "Målbild", "Strategi", "Aktivitet"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Aktivitet"] == '\'=HYPERLINK("http://example.com","Klicka")'
    assert row["Ansvarig organisation"] == "'@Bolaget"
    assert row["Medansvariga organisationer"] == "Norrköpings kommun"
    assert row["Planerad start"] == "2024-03"
    assert row["Bedömning"] == "Avvikelse"
    # JSON is not a spreadsheet: there the title stays as typed.
    data = Client().get(url("followup:public-json", world["declaration"])).json()
    assert data["activities"][0]["title"] == '=HYPERLINK("http://example.com","Klicka")'


def test_a_control_character_cannot_smuggle_a_formula_into_the_csv(world):
    smuggled = '\x01=HYPERLINK("http://example.com","Klicka")'
    # Such text can no longer be saved; an activity stored before may hold it.
    type(world["activity"]).objects.filter(pk=world["activity"].pk).update(title=smuggled)

    response = Client().get(url("followup:public-csv", world["declaration"]))

    text = response.content.decode("utf-8").removeprefix("\ufeff")
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert dict(zip(header, row, strict=True))["Aktivitet"] == "'" + smuggled[1:]


@pytest.mark.parametrize("name", PUBLIC_URLS)
def test_query_count_does_not_grow_with_the_number_of_activities(make_activities, name):
    def published(count):
        plan, activities = make_activities(count, plan=PlanFactory(status=PlanStatus.ACTIVE))
        plan.declaration.is_published = True
        plan.declaration.save()
        closed = FollowUp.objects.create(plan=plan, year=2024, deadline=datetime.date(2025, 1, 31))
        for activity in activities:
            review(closed, activity, Assessment.ON_TRACK, by=None)
        close_round(closed, user=None)
        return url(name, plan.declaration)

    few_url, many_url = published(5), published(40)
    few, many = count_queries(Client(), few_url), count_queries(Client(), many_url)

    assert many == few
    # The activities are there to count: the plan is adopted and followed up.
    assert Client().get(many_url).content.count(b"on_track") >= 40
