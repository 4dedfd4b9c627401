"""Plan versions read through one loader: older snapshots upgraded, newer ones refused, and
what a version freezes independent of the language of the session that wrote it."""

import copy
import datetime
import io
import json
import re

import pypdf
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from followup.models import Assessment, FollowUp, FollowUpState, PlanVersion
from followup.reports import report_context
from followup.rounds import write_revision
from followup.snapshots import diff_snapshots, plan_snapshot
from followup.versions import SCHEMA, SnapshotSchemaError, load_snapshot
from plans.models import ActivityStatus, ActivityType
from strategies.models import Membership
from tests.factories import (
    ActivityFactory,
    ActivityReviewFactory,
    IndicatorFactory,
    OrganisationFactory,
    PlanFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    # A request in English leaves English active in the thread, for the tests that follow.
    language = translation.get_language()
    yield
    translation.activate(language)


def schema_1_snapshot(code: str = "1.1.1", strategy: str = "1.1") -> dict:
    """A version as the portal wrote it before schema 2, closed in an English session: the
    labels are English (the defect schema 2 fixes)."""
    return {
        "schema": 1,
        "taken_at": "2026-02-26T14:05:00+00:00",
        "declaration": {
            "slug": "klockaretorpet",
            "title": "Avsiktsförklaring Klockaretorpet",
            "district": "Klockaretorpet",
            "adopted_on": "2022-02-01",
            "partners": ["Hyresbostäder i Norrköping"],
            "introduction": "",
            "vision": "En stadsdel där alla trivs.",
            "goals_introduction": "",
        },
        "plan": {
            "name": "Aktivitetsplan Klockaretorpet",
            "period": "2024–2028",
            "status": "active",
        },
        "follow_up": {
            "year": 2025,
            "meeting_date": "2026-02-26",
            "deadline": "2026-01-31",
            "summary": "",
        },
        "goals": [
            {
                "position": 1,
                "title": "Trygg stadsdel",
                "description": "",
                "strategies": [{"number": strategy, "title": "Trygghet", "description": ""}],
            }
        ],
        "activities": [
            {
                "code": code,
                "goal": 1,
                "strategy": strategy,
                "strategy_title": "Trygghet",
                "title": "Trygghetsvandringar",
                "description": "",
                "activity_type": "existing_budget",
                "activity_type_label": (
                    "Can be carried out within the existing budget, e.g. simple studies, "
                    "operational measures, simple improvements of the physical environment"
                ),
                "lead_organisation": "Hyresbostäder i Norrköping",
                "co_organisations": [],
                "responsible_unit": "",
                "planned_start": "2024-03",
                "planned_end": "2025-12",
                "schedule_note": "",
                "schedule_label": "March 2024 – December 2025",
                "measurability": "Antal vandringar.",
                "status": "ongoing",
                "status_label": "ongoing",
                "success_factors": [],
                "programme_goals": [],
                "indicators": [
                    {
                        "name": "Trygga boende",
                        "unit": "%",
                        "baseline_value": "58",
                        "baseline_year": 2023,
                        "target_value": "70",
                        "target_year": 2026,
                        "higher_is_better": True,
                        "kolada_kpi": "",
                        "actual_value": "61.5",
                    }
                ],
                "created_at": "2024-01-15T09:00:00+00:00",
                "updated_at": "2026-02-20T09:00:00+00:00",
                "review": {
                    "assessment": "deviation",
                    "assessment_label": "deviation",
                    "done": "Två vandringar.",
                    "deviations": "Färre deltagare än väntat.",
                    "next_step": "",
                    "new_status": "ongoing",
                    "reviewed_by": "Pia Plan",
                    "reviewed_at": "2026-02-20T09:00:00+00:00",
                },
            }
        ],
    }


def pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:500]
    reader = pypdf.PdfReader(io.BytesIO(response.getvalue()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def world(django_user_model):
    plan = PlanFactory(start_year=2024, end_year=2028, name="Aktivitetsplan Klockaretorpet")
    hbn = OrganisationFactory(name="Hyresbostäder i Norrköping")
    activity = ActivityFactory(
        plan=plan,
        title="Trygghetsvandringar",
        lead_organisation=hbn,
        activity_type=ActivityType.EXISTING_BUDGET,
        planned_start=datetime.date(2024, 3, 1),
        planned_end=datetime.date(2025, 12, 1),
        status=ActivityStatus.PLANNED,
    )
    IndicatorFactory(activity=activity, name="Trygga boende", unit="%", baseline_value=58)
    follow_up = FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))
    admin = django_user_model.objects.create_user(
        "pia", first_name="Pia", last_name="Plan", is_staff=True
    )
    admin.groups.add(Group.objects.get(name="Planadministratör"))
    Membership.objects.create(user=admin, organisation=hbn)
    return {"plan": plan, "activity": activity, "follow_up": follow_up, "admin": admin}


def client_in(user, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def report(world, *, assessment=Assessment.DEVIATION, new_status=ActivityStatus.ONGOING):
    ActivityReviewFactory(
        follow_up=world["follow_up"],
        activity=world["activity"],
        assessment=assessment,
        done="Två vandringar.",
        new_status=new_status,
        user=world["admin"],
    )


def without_times(snapshot: dict) -> str:
    snapshot = copy.deepcopy(snapshot)
    snapshot.pop("taken_at")
    for activity in snapshot["activities"]:
        if activity["review"]:
            activity["review"].pop("reviewed_at")
    return json.dumps(snapshot, sort_keys=True)


# --- the session's language ----------------------------------------------------------------


def test_a_snapshot_is_the_same_whatever_the_sessions_language(world):
    report(world)

    with translation.override("en"):
        english = plan_snapshot(world["plan"], follow_up=world["follow_up"])
    with translation.override("sv"):
        swedish = plan_snapshot(world["plan"], follow_up=world["follow_up"])

    assert without_times(english) == without_times(swedish)
    activity = english["activities"][0]
    assert (activity["status"], activity["status_label"]) == ("ongoing", "pågående")
    assert activity["activity_type_label"].startswith("Uppdrag som kan utföras inom befintlig")
    assert activity["schedule_label"] == "mars 2024 – december 2025"
    assert activity["review"]["assessment_label"] == "avvikelse"
    assert activity["review"]["new_status_label"] == "pågående"
    assert (english["schema"], english["language"]) == (SCHEMA, "sv")


def test_a_round_closed_in_an_english_session_reports_in_swedish(world):
    """Closing in English once froze English labels into the Swedish reports for good."""
    admin = world["admin"]
    write_revision(world["plan"], user=admin)  # version 1: status planned
    report(world)  # new status: ongoing
    english, swedish = client_in(admin, "en"), client_in(admin, "sv")

    closed = english.post(reverse("followup:round-close", args=[world["follow_up"].pk]))
    assert closed.status_code == 302
    version = PlanVersion.objects.get(number=2)
    page_url = reverse("followup:version-diff", args=[version.pk])
    swedish_page = swedish.get(page_url).content.decode()
    english_page = english.get(page_url).content.decode()
    report_text = pdf_text(
        swedish.get(reverse("followup:round-report", args=[world["follow_up"].pk]))
    )

    # The status changed from version 1 (planned) to 2 (ongoing): each page in its language.
    assert "<del>planerad</del>" in swedish_page
    assert "<ins>pågående</ins>" in swedish_page
    assert "<del>planned</del>" in english_page
    assert "<ins>ongoing</ins>" in english_page
    assert "Status: pågående" in report_text
    assert re.search(r"Bedömning: \W*avvikelse", report_text)
    assert "mars 2024 – december 2025" in report_text
    for english_word in ["ongoing", "deviation", "March", "Within existing budget"]:
        assert english_word not in report_text


# --- schema 1 ------------------------------------------------------------------------------


def test_a_schema_1_snapshot_is_upgraded_to_values_and_swedish_labels():
    stored = schema_1_snapshot()
    before = copy.deepcopy(stored)

    loaded = load_snapshot(stored)

    assert stored == before  # a frozen version is read, never rewritten
    assert (loaded["schema"], loaded["language"]) == (SCHEMA, "sv")
    activity = loaded["activities"][0]
    assert (activity["status"], activity["status_label"]) == ("ongoing", "pågående")
    assert activity["activity_type_label"].startswith("Uppdrag som kan utföras inom befintlig")
    assert activity["schedule_label"] == "mars 2024 – december 2025"
    review = activity["review"]
    assert (review["assessment"], review["assessment_label"]) == ("deviation", "avvikelse")
    assert review["new_status_label"] == "pågående"
    assert load_snapshot(loaded) is loaded


def test_a_schema_1_label_is_mapped_back_to_its_value_or_kept_when_unknown():
    stored = schema_1_snapshot()
    activity = stored["activities"][0]
    activity["status"], activity["status_label"] = "", "Done"
    activity["review"]["assessment"] = ""
    second = {**copy.deepcopy(activity), "code": "1.1.2"}
    second["status"], second["status_label"] = "stalled", "avstannad"
    stored["activities"].append(second)

    first, kept = load_snapshot(stored)["activities"]

    assert (first["status"], first["status_label"]) == ("done", "genomförd")
    assert first["review"]["assessment"] == "deviation"
    assert (kept["status"], kept["status_label"]) == ("stalled", "avstannad")
    with translation.override("en"):
        [(_activity, changes)] = diff_snapshots(
            schema_1_snapshot(code="1.1.2"), stored
        ).readable_changes()
    assert ("status", "ongoing", "avstannad") in changes


def test_a_schema_1_version_shows_diffs_and_prints_in_swedish(world):
    admin, activity = world["admin"], world["activity"]
    follow_up = world["follow_up"]
    FollowUp.objects.filter(pk=follow_up.pk).update(state=FollowUpState.CLOSED)
    older = PlanVersion.objects.create(
        plan=world["plan"],
        number=1,
        kind="follow_up",
        follow_up=follow_up,
        snapshot=schema_1_snapshot(activity.reference_code, activity.strategy.number),
    )
    newer = write_revision(world["plan"], user=admin)  # schema 2; status planned again
    swedish, english = client_in(admin, "sv"), client_in(admin, "en")

    first_page = swedish.get(reverse("followup:version-diff", args=[older.pk]))
    diff_page = swedish.get(reverse("followup:version-diff", args=[newer.pk])).content.decode()
    english_diff = english.get(reverse("followup:version-diff", args=[newer.pk])).content.decode()
    plan_text = pdf_text(swedish.get(reverse("followup:version-plan-report", args=[older.pk])))
    round_text = pdf_text(swedish.get(reverse("followup:round-report", args=[follow_up.pk])))

    assert first_page.status_code == 200
    assert "<del>pågående</del>" in diff_page
    assert "<ins>planerad</ins>" in diff_page
    assert "<del>ongoing</del>" in english_diff
    assert "Inom befintlig budget" in plan_text
    assert "Status: pågående" in plan_text
    assert "mars 2024 – december 2025" in plan_text
    assert re.search(r"Bedömning: \W*avvikelse", round_text)
    assert "Trygghetsvandringar" in round_text
    for text in (plan_text, round_text):
        assert "ongoing" not in text
        assert "March" not in text


# --- a newer schema ------------------------------------------------------------------------


def test_a_version_of_a_newer_schema_is_refused_with_a_clear_page(world, caplog, tmp_path):
    admin, follow_up = world["admin"], world["follow_up"]
    older = write_revision(world["plan"], user=admin)
    FollowUp.objects.filter(pk=follow_up.pk).update(state=FollowUpState.CLOSED)
    future = PlanVersion.objects.create(
        plan=world["plan"],
        number=2,
        kind="follow_up",
        follow_up=follow_up,
        snapshot={"schema": SCHEMA + 1},
    )
    client = client_in(admin, "sv")

    page = client.get(reverse("followup:version-diff", args=[future.pk]))
    older_page = client.get(reverse("followup:version-diff", args=[older.pk]) + "?mot=2")
    pdfs = [
        client.get(reverse("followup:version-plan-report", args=[future.pk])),
        client.get(reverse("followup:round-report", args=[follow_up.pk])),
    ]

    for response in (page, older_page):
        assert response.status_code == 200
        assert "skrevs av en nyare version av portalen" in response.content.decode()
    for pdf in pdfs:
        assert pdf.status_code == 501
        assert "Versionen kan inte visas" in pdf.content.decode()
    assert f"schema {SCHEMA + 1}" in caplog.text
    with pytest.raises(SnapshotSchemaError, match="newer release"):
        report_context(future.snapshot)
    with pytest.raises(CommandError, match="newer release"):
        call_command(
            "followup_report",
            "--declaration",
            world["plan"].declaration.slug,
            "--year",
            "2025",
            "-o",
            str(tmp_path / "rapport.pdf"),
        )
