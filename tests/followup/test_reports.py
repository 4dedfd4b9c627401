"""The PDFs, read back through their text: what a reader of the printed report relies on."""

import datetime
import io
import re
import threading
import time
from decimal import Decimal

import pypdf
import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from followup import reports
from followup.models import ActivityReview, Assessment, FollowUp
from followup.reports import (
    followup_report_pdf,
    plan_report_pdf,
    report_context,
)
from followup.rounds import close_round, save_review, write_revision
from followup.versions import SnapshotSchemaError
from plans.models import Activity, ActivityStatus
from tests.factories import ActivityFactory, IndicatorFactory, OrganisationFactory, PlanFactory

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> tuple[str, pypdf.PdfReader]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # Lines broken by the layout are joined, so phrases can be searched whole.
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    return text, reader


@pytest.fixture
def cycle(django_user_model):
    admin = django_user_model.objects.create_user("pia", first_name="Pia", last_name="Plan")
    plan = PlanFactory(start_year=2024, end_year=2028, name="Aktivitetsplan Klockaretorpet")
    plan.declaration.partners.add(OrganisationFactory(name="Hyresbostäder i Norrköping"))
    first = ActivityFactory(plan=plan, title="Trygghetsvandringar i Klockaretorpet")
    activities = [first] + [
        ActivityFactory(plan=plan, strategy=first.strategy, title=title)
        for title in ["Läxhjälp på biblioteket", "Öppen förskola", "Städdag på gårdarna"]
    ]
    IndicatorFactory(
        activity=first, name="Trygga boende", unit="%", baseline_value=58, target_value=70
    )
    follow_up = FollowUp.objects.create(
        plan=plan,
        year=2025,
        deadline=datetime.date(2026, 1, 31),
        meeting_date=datetime.date(2026, 2, 26),
    )
    for activity, assessment in zip(
        activities[:3],
        [Assessment.ON_TRACK, Assessment.DEVIATION, Assessment.DEVIATION],
        strict=True,
    ):
        review = ActivityReview(
            follow_up=follow_up,
            activity=activity,
            assessment=assessment,
            done="Genomfört med boende.",
            deviations="Försenad lokal." if assessment != Assessment.ON_TRACK else "",
            new_status=ActivityStatus.ONGOING,
        )
        save_review(
            review,
            actual_values={i: Decimal("61.5") for i in activity.indicators.all()},
            user=admin,
        )
    return follow_up, activities, admin


def test_the_follow_up_report_has_every_activity_its_counts_and_page_numbers(cycle):
    follow_up, activities, admin = cycle
    write_revision(follow_up.plan, user=admin)
    close_round(follow_up, user=admin, reason="Städdagen rapporteras muntligt.")

    name, pdf = followup_report_pdf(FollowUp.objects.get(pk=follow_up.pk))
    text, reader = text_of(pdf)

    assert name == f"uppfoljning-{follow_up.plan.declaration.slug}-2025.pdf"
    for activity in activities:
        assert activity.title in text
    assert "Uppföljningsrapport 2025" in text
    assert "26 februari 2026" in text
    assert "Sida 1 av " in text
    assert f"Sida {len(reader.pages)} av {len(reader.pages)}" in text
    assert "Öppen förskola" in text  # å, ä, ö intact
    assert "3 av 4 rapporterade" in text
    assert "Version 2 av " in text
    # The summary's table: 1 on track, 2 deviations, 0 serious, 1 unreported.
    assert re.search(r"Enligt plan 1 Avvikelse 2 Allvarlig avvikelse 0 Ej rapporterad 1", text)
    assert "61,5" in text or "61.5" in text
    assert "Förändringar sedan förra versionen" in text
    assert reader.metadata.title == "Uppföljningsrapport 2025 – Aktivitetsplan Klockaretorpet"
    assert reader.trailer["/Root"]["/Lang"] == "sv"


def test_a_closed_rounds_report_does_not_change_when_the_plan_does(cycle):
    follow_up, activities, admin = cycle
    close_round(follow_up, user=admin, reason="Test")
    before, _reader = text_of(followup_report_pdf(FollowUp.objects.get(pk=follow_up.pk))[1])

    activity = Activity.objects.get(pk=activities[0].pk)
    activity.title = "Helt ny rubrik efteråt"
    activity.save()
    ActivityFactory(plan=follow_up.plan, strategy=activity.strategy, title="Tillkommen senare")
    cache.clear()  # rendered anew from the version, not served from the first rendering
    after, _reader = text_of(followup_report_pdf(FollowUp.objects.get(pk=follow_up.pk))[1])

    assert "Trygghetsvandringar i Klockaretorpet" in after
    assert "Helt ny rubrik efteråt" not in after
    assert "Tillkommen senare" not in after
    # Only the moment of rendering an open round would differ; a closed one is the same text.
    assert before == after


def test_user_text_is_escaped_and_cannot_fetch_files(cycle, caplog):
    follow_up, activities, _admin = cycle
    activity = Activity.objects.get(pk=activities[3].pk)
    activity.title = 'Städdag <img src="file:///etc/passwd"> <b>fet</b>'
    activity.save()

    text, _reader = text_of(followup_report_pdf(follow_up)[1])

    assert 'Städdag <img src="file:///etc/passwd"> <b>fet</b>' in text
    assert "refused" not in caplog.text  # escaped text is never a URL to refuse


def test_the_plan_itself_prints_vision_goals_strategies_and_activities(cycle):
    follow_up, activities, admin = cycle
    declaration = follow_up.plan.declaration
    version = write_revision(follow_up.plan, user=admin, decided_by="Styrgruppen")

    name, pdf = plan_report_pdf(follow_up.plan, version=version)
    text, _reader = text_of(pdf)

    assert name.endswith("version-1.pdf")
    assert " ".join(declaration.vision.split()) in text
    assert activities[0].strategy.title in text
    assert activities[0].strategy.goal.title in text
    for activity in activities:
        assert activity.title in text
    assert "Version 1 av " in text
    assert "Styrgruppen" in text


def test_snapshots_of_an_unknown_schema_are_refused(cycle):
    follow_up, _activities, admin = cycle
    snapshot = write_revision(follow_up.plan, user=admin).snapshot
    with pytest.raises(SnapshotSchemaError):
        report_context({**snapshot, "schema": 99})


def test_the_command_and_the_portal_serve_the_report(cycle, tmp_path, client):
    follow_up, _activities, admin = cycle
    output = tmp_path / "rapport.pdf"

    call_command(
        "followup_report",
        "--declaration",
        follow_up.plan.declaration.slug,
        "--year",
        "2025",
        "-o",
        str(output),
    )
    client.force_login(admin)
    admin.groups.add(Group.objects.get(name="Läsare"))
    response = client.get(reverse("followup:round-report", args=[follow_up.pk]))

    assert output.read_bytes().startswith(b"%PDF")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Trygghetsvandringar i Klockaretorpet" in text_of(response.content)[0]


def test_a_closed_rounds_report_is_rendered_once_then_served_from_the_cache(
    cycle, client, monkeypatch
):
    follow_up, _activities, admin = cycle
    close_round(follow_up, user=admin, reason="Test")
    admin.groups.add(Group.objects.get(name="Läsare"))
    client.force_login(admin)
    url = reverse("followup:round-report", args=[follow_up.pk])
    renders = []
    render_pdf = reports.render_pdf
    monkeypatch.setattr(
        reports, "render_pdf", lambda html: renders.append(html) or render_pdf(html)
    )

    first, second = client.get(url), client.get(url)
    client.post(reverse("set_language"), {"language": "en", "next": url})
    english = client.get(url)

    assert len(renders) == 2
    assert first.content == second.content
    assert "Trygghetsvandringar i Klockaretorpet" in text_of(second.content)[0]
    assert english.content != first.content
    assert 'lang="en"' in renders[1]


def test_an_open_rounds_report_shows_every_edit_made_since_the_last_print(cycle, client):
    follow_up, activities, admin = cycle
    admin.groups.add(Group.objects.get(name="Läsare"))
    client.force_login(admin)
    url = reverse("followup:round-report", args=[follow_up.pk])
    client.get(url)

    activity = Activity.objects.get(pk=activities[0].pk)
    activity.title = "Rubrik ändrad före mötet"
    activity.save()

    assert "Rubrik ändrad före mötet" in text_of(client.get(url).content)[0]


@pytest.fixture
def counted_renders(monkeypatch):
    renders = []
    render_pdf = reports.render_pdf
    monkeypatch.setattr(
        reports, "render_pdf", lambda html: renders.append(html) or render_pdf(html)
    )
    return renders


# Committed writes, as in production: a transaction's own writes are never cached.
@pytest.mark.django_db(transaction=True)
def test_an_open_rounds_report_is_rendered_again_only_after_the_plan_or_a_report_changed(
    cycle, client, counted_renders
):
    follow_up, activities, admin = cycle
    admin.groups.add(Group.objects.get_or_create(name="Läsare")[0])
    client.force_login(admin)
    url = reverse("followup:round-report", args=[follow_up.pk])

    first, again = client.get(url), client.get(url)
    assert len(counted_renders) == 1
    assert first.content == again.content

    review = ActivityReview.objects.get(activity=activities[0], follow_up=follow_up)
    review.done = "Fyra vandringar i stället för tre."
    review.save()
    after_report = client.get(url)
    activity = Activity.objects.get(pk=activities[1].pk)
    activity.title = "Läxhjälp på biblioteket och i skolan"
    activity.save()
    after_plan = client.get(url)
    client.get(url)

    assert len(counted_renders) == 3
    assert "Fyra vandringar i stället för tre." in text_of(after_report.content)[0]
    assert "Läxhjälp på biblioteket och i skolan" in text_of(after_plan.content)[0]


# Committed writes, as in production: a transaction's own writes are never cached.
@pytest.mark.django_db(transaction=True)
def test_the_current_plans_pdf_is_rendered_again_only_after_the_plan_changed(
    cycle, client, counted_renders
):
    follow_up, activities, admin = cycle
    admin.groups.add(Group.objects.get_or_create(name="Läsare")[0])
    client.force_login(admin)
    url = reverse("followup:plan-report", args=[follow_up.plan.pk])

    client.get(url), client.get(url)
    activity = Activity.objects.get(pk=activities[2].pk)
    activity.title = "Öppen förskola på lördagar"
    activity.save()
    changed = client.get(url)

    assert len(counted_renders) == 2
    assert "Öppen förskola på lördagar" in text_of(changed.content)[0]


def test_a_second_request_for_a_report_being_rendered_waits_rather_than_renders_it_again():
    started, release, renders, results = threading.Event(), threading.Event(), [], []

    def render_slowly():
        renders.append(1)
        started.set()
        release.wait(10)
        return "rapport.pdf", b"%PDF-"

    def ask():
        results.append(reports._cached_render("probe", render_slowly, 60))

    first, second = threading.Thread(target=ask), threading.Thread(target=ask)
    first.start()
    started.wait(10)
    second.start()
    time.sleep(0.3)  # the second request is waiting now
    release.set()
    first.join(10)
    second.join(10)

    assert renders == [1]
    assert results == [("rapport.pdf", b"%PDF-")] * 2


# Committed writes, as in production: a transaction's own writes are never cached.
@pytest.mark.django_db(transaction=True)
def test_a_report_being_rendered_too_long_gets_a_page_asking_to_try_again(
    cycle, client, monkeypatch
):
    follow_up, _activities, admin = cycle
    admin.groups.add(Group.objects.get_or_create(name="Läsare")[0])
    client.force_login(admin)
    url = reverse("followup:round-report", args=[follow_up.pk])
    monkeypatch.setattr(reports, "REPORT_WAIT_SECONDS", 0)
    render_pdf, asked_meanwhile = reports.render_pdf, []

    def render_while_someone_else_asks(html):
        # A colleague asks for the same report while this one is being rendered.
        asked_meanwhile.append(client.get(url))
        return render_pdf(html)

    monkeypatch.setattr(reports, "render_pdf", render_while_someone_else_asks)
    rendered = client.get(url)

    busy = asked_meanwhile[0]
    assert rendered.status_code == 200
    assert busy.status_code == 503
    assert busy["Retry-After"] == "30"
    assert "Rapporten tas fram" in busy.content.decode()
