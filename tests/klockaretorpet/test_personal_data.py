"""The retention routine reaches every place a person's name can be typed: current rows, their
history, closed rounds, plan versions and their snapshots, and the PDFs cached from them."""

import datetime
import io
import json
from decimal import Decimal
from types import SimpleNamespace

import pypdf
import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import models
from django.urls import reverse

from followup import reports
from followup.models import ActivityReview, Assessment, ErasureRecord, FollowUp, PlanVersion
from followup.reports import followup_report_pdf, plan_report_pdf
from followup.rounds import close_round, save_review, write_revision
from klockaretorpet.personal_data import REPLACEMENT
from plans.models import Activity, ActivityStatus
from tests.factories import ActivityFactory, IndicatorFactory, PlanFactory

pytestmark = pytest.mark.django_db

NAME = "Eva Ek"


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def review(follow_up, activity, user, **texts):
    save_review(
        ActivityReview(
            follow_up=follow_up,
            activity=activity,
            assessment=Assessment.DEVIATION,
            new_status=ActivityStatus.ONGOING,
            **texts,
        ),
        actual_values={indicator: Decimal(12) for indicator in activity.indicators.all()},
        user=user,
    )


def text_columns_holding(name: str) -> list[str]:
    """Every text and JSON column of every table, history tables included, that holds `name`."""
    found = []
    for model in apps.get_models():
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model._base_manager.values(*fields) if fields else []:
            for field, value in row.items():
                if name.lower() in json.dumps(value, ensure_ascii=False).lower():
                    found.append(f"{model._meta.label}.{field}")
    return found


@pytest.fixture
def name_everywhere(django_user_model):
    """The name typed into every place it can go, in a plan with a closed round (whose PDFs are
    rendered and cached), an open one and a revision."""
    admin = django_user_model.objects.create_superuser("pia", password="ett-långt-lösenord")
    plan = PlanFactory(start_year=2024, end_year=2028)
    activity = ActivityFactory(
        plan=plan,
        title="Trygghetsvandring med Eva Ek",
        responsible_unit="Fritidsgården, kontakt eva ek",
        description="Eva Ek samordnar.",
    )
    IndicatorFactory(activity=activity, name="Deltagare hos EVA EK")
    closed = FollowUp.objects.create(
        plan=plan, year=2024, deadline=datetime.date(2025, 1, 31), summary="Tack, Eva Ek!"
    )
    review(
        closed,
        activity,
        admin,
        done="Eva Ek ledde vandringarna.",
        deviations="Eva Ek var sjuk i mars.",
        next_step="Fråga eva ek om hösten.",
    )
    close_round(closed, user=admin, reason="Eva Ek rapporterar muntligt.")
    opened = FollowUp.objects.create(
        plan=plan, year=2025, deadline=datetime.date(2026, 1, 31), summary="Eva Ek sammanfattar."
    )
    review(opened, activity, admin, done="Med Eva Ek.", deviations="Utan eva ek.")
    activity = Activity.objects.get(pk=activity.pk)
    activity._history_user = admin
    activity.title = "Trygghetsvandringar med Eva Ek och boende"
    activity.save()
    revision = write_revision(
        plan, user=admin, decided_by="Ordförande Eva Ek", note="Eva Ek föreslog ändringen."
    )
    # Cached "once": a closed round's report and a version's plan, as printed before the erasure.
    first = closed.version
    before = [
        followup_report_pdf(closed)[1],
        followup_report_pdf(closed, short=True)[1],
        plan_report_pdf(plan, version=first)[1],
    ]
    assert all(NAME in pdf_text(pdf) for pdf in before)
    return SimpleNamespace(
        admin=admin,
        activity=activity,
        closed=closed,
        opened=opened,
        first=first,
        revision=revision,
    )


def test_erasing_a_name_reaches_follow_ups_versions_snapshots_and_cached_pdfs(
    client, name_everywhere
):
    n = name_everywhere
    assert len(text_columns_holding(NAME)) > 15
    client.force_login(n.admin)

    response = client.post(reverse("audit:erase-name"), {"name": NAME, "confirm": "on"})

    assert response.status_code == 302
    client.get(response.url)  # The confirmation, which repeats the name to who typed it.
    assert text_columns_holding(NAME) == []
    assert REPLACEMENT in PlanVersion.objects.get(pk=n.first.pk).snapshot["follow_up"]["summary"]
    pages = [
        reverse("followup:round-detail", args=[n.closed.pk]),
        reverse("followup:round-detail", args=[n.opened.pk]),
        reverse("followup:review-edit", args=[n.opened.pk, n.activity.pk]),
        reverse("followup:version-diff", args=[n.first.pk]),
        reverse("followup:version-diff", args=[n.revision.pk]),
        reverse("plans:activity-detail", args=[n.activity.pk]),
    ]
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        assert NAME.lower() not in page.content.decode().lower(), url
    pdfs = [
        reverse("followup:round-report", args=[n.closed.pk]),
        reverse("followup:version-plan-report", args=[n.first.pk]),
        reverse("followup:version-plan-report", args=[n.revision.pk]),
    ]
    for url in pdfs:
        text = pdf_text(client.get(url).content)
        assert NAME.lower() not in text.lower(), url
        assert REPLACEMENT in text, url


def test_an_erasure_is_recorded_on_each_version_without_the_name(client, name_everywhere):
    n = name_everywhere
    client.force_login(n.admin)

    client.post(reverse("audit:erase-name"), {"name": NAME, "confirm": "on"})

    records = {record.version_id: record for record in ErasureRecord.objects.all()}
    assert set(records) == {n.first.pk, n.revision.pk}
    assert all(record.erased_by == n.admin and record.places > 0 for record in records.values())
    # The closed round's version: the note, and the snapshot's summary, texts and titles.
    assert records[n.first.pk].places >= 6
    page = client.get(reverse("followup:version-diff", args=[n.first.pk])).content.decode()
    assert "Names removed" in page or "Namn borttagna" in page


def test_the_pdfs_cached_before_are_dropped_and_rendered_anew(
    name_everywhere, client, django_capture_on_commit_callbacks
):
    n = name_everywhere
    cached_before = [
        reports._pdf_key(reports._round_pdf_name(n.closed.pk, n.first.pk, 0, short=False), "sv"),
        reports._pdf_key(reports._round_pdf_name(n.closed.pk, n.first.pk, 0, short=True), "sv"),
        reports._pdf_key(reports._version_pdf_name(n.first.pk, 0), "sv"),
    ]
    assert all(cache.get(key) is not None for key in cached_before)
    client.force_login(n.admin)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("audit:erase-name"), {"name": NAME, "confirm": "on"})

    assert all(cache.get(key) is None for key in cached_before)
    n.closed = FollowUp.objects.get(pk=n.closed.pk)
    assert NAME not in pdf_text(followup_report_pdf(n.closed)[1])
    assert NAME not in pdf_text(followup_report_pdf(n.closed, short=True)[1])


def test_the_preview_counts_each_place_and_changes_nothing(client, name_everywhere):
    n = name_everywhere
    client.force_login(n.admin)
    holding = text_columns_holding(NAME)

    preview = client.post(reverse("audit:erase-name"), {"name": NAME}).context["preview"]

    labels = {count.label for count in preview}
    assert {"aktivitetsrapporter", "uppföljningar", "planversioner"} <= labels
    assert text_columns_holding(NAME) == holding
    assert not ErasureRecord.objects.exists()
