"""One written format for dates across the portal: “2 mars 2026 09:30” on the audit page, an
activity's “Senast ändrad” and a plan version alike, never abbreviated."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from followup.models import PlanVersion
from followup.rounds import write_revision
from plans.models import Activity
from tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db

ONE_MOMENT = datetime.datetime(2026, 3, 2, 8, 30, tzinfo=datetime.UTC)


@pytest.fixture
def plan_admin(django_user_model):
    return django_user_model.objects.create_superuser("pia", password="ett-långt-lösenord")


def test_the_audit_activity_and_version_pages_write_a_moment_alike(client, plan_admin):
    activity = ActivityFactory()
    version = write_revision(activity.plan, user=plan_admin)
    Activity.objects.filter(pk=activity.pk).update(updated_at=ONE_MOMENT)
    Activity.history.update(history_date=ONE_MOMENT)
    PlanVersion.objects.filter(pk=version.pk).update(created_at=ONE_MOMENT)
    client.force_login(plan_admin)

    pages = {
        "audit": client.get(reverse("audit:recent-changes")),
        "activity": client.get(reverse("plans:activity-detail", args=[activity.pk])),
        "version": client.get(reverse("followup:version-diff", args=[version.pk])),
    }

    with translation.override("sv"):
        expected = date_format(timezone.localtime(ONE_MOMENT), "DATETIME_FORMAT")
    assert expected == "2 mars 2026 09:30"
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert expected in response.content.decode(), name


def test_dates_read_the_same_in_english_but_for_the_month():
    moment = timezone.localtime(ONE_MOMENT)
    with translation.override("en"):
        english = (date_format(moment, "DATETIME_FORMAT"), date_format(moment.date()))
    with translation.override("sv"):
        swedish = (date_format(moment, "DATETIME_FORMAT"), date_format(moment.date()))

    assert english == ("2 March 2026 09:30", "2 March 2026")
    assert swedish == ("2 mars 2026 09:30", "2 mars 2026")
