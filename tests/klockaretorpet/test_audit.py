import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from klockaretorpet.personal_data import REPLACEMENT
from plans.models import Activity
from strategies.models import Membership
from tests.factories import ActivityFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_admin(django_user_model):
    return django_user_model.objects.create_superuser(
        "pia", password="ett-långt-lösenord", first_name="Pia", last_name="Admin"
    )


SOFT_HYPHEN = "\u00ad"


def shown_rows(response) -> list[list[str]]:
    """The change table as the page shows it: one list of cell texts (when, who, what, event,
    fields) a row; soft hyphens show only at a line break."""
    html = response.content.decode()
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    if body is None:
        return []
    return [
        [
            " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).replace(SOFT_HYPHEN, "").split())
            for cell in cells
        ]
        for cells in (
            re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
        )
    ]


def shown_name(user) -> str:
    return user.get_full_name() or user.get_username()


def change_title(activity, user, title):
    activity = Activity.objects.get(pk=activity.pk)
    activity._history_user = user
    activity.title = title
    activity.save()
    return activity


def test_recent_changes_show_who_what_and_which_fields(client, plan_admin, editor):
    organisation = OrganisationFactory(name="Hyresbostäder i Norrköping")
    Membership.objects.create(user=editor, organisation=organisation)
    activity = ActivityFactory(title="Gammal rubrik")
    change_title(activity, editor, "Ny rubrik")
    client.force_login(plan_admin)

    response = client.get(reverse("audit:recent-changes"))
    first = response.context["rows"][0]

    assert first.record.history_user == editor
    assert first.kind_label == "ändrad"
    assert [(c.label, c.old, c.new) for c in first.changes] == [
        ("Rubrik", "Gammal rubrik", "Ny rubrik")
    ]
    when, who, what, event, fields = shown_rows(response)[0]
    # Written out as on every other page ("4 december 2026 14:05"), not abbreviated.
    assert when == date_format(timezone.localtime(first.record.history_date), "j F Y H:i")
    assert who == shown_name(editor)
    assert what == f"Aktivitet {activity.reference_code} Ny rubrik"
    assert event == "Ändrad"
    assert fields == "Rubrik : Gammal rubrik → Ny rubrik"


def test_recent_changes_filter_by_user_organisation_and_date(client, plan_admin, editor):
    organisation = OrganisationFactory()
    Membership.objects.create(user=editor, organisation=organisation)
    activity = ActivityFactory()
    change_title(activity, editor, "Redaktörens rubrik")
    change_title(activity, plan_admin, "Adminens rubrik")
    client.force_login(plan_admin)
    url = reverse("audit:recent-changes")
    today = timezone.localdate().isoformat()

    by_user = client.get(url, {"user": editor.pk})
    by_org = client.get(url, {"organisation": organisation.pk})
    by_date = client.get(url, {"since": "2000-01-01", "until": "2000-12-31"})
    today_rows = client.get(url, {"since": today, "until": today})
    backwards = client.get(url, {"since": today, "until": "2000-01-01"})

    assert {row.record.history_user for row in by_user.context["rows"]} == {editor}
    assert {row.record.history_user for row in by_org.context["rows"]} == {editor}
    for page in (by_user, by_org):
        shown = shown_rows(page)
        assert shown
        assert {who for _when, who, *_rest in shown} == {shown_name(editor)}
        assert "Redaktörens rubrik" in " ".join(row[2] for row in shown)
        assert "Adminens rubrik" not in " ".join(row[2] + row[4] for row in shown)
    assert by_date.context["rows"] == []
    assert shown_rows(by_date) == []
    assert "Inga ändringar matchar filtret." in by_date.content.decode()
    today_shown = shown_rows(today_rows)
    assert len(today_shown) >= 2
    assert {shown_name(editor), shown_name(plan_admin)} <= {row[1] for row in today_shown}
    assert "Slutdatumet kan inte ligga före startdatumet." in backwards.content.decode()


def test_recent_changes_queries_do_not_grow_with_the_rows(
    client, plan_admin, django_assert_max_num_queries
):
    client.force_login(plan_admin)
    url = reverse("audit:recent-changes")
    for index in range(5):
        change_title(ActivityFactory(), plan_admin, f"Rubrik {index}")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(40):
        change_title(ActivityFactory(), plan_admin, f"Fler {index}")

    with django_assert_max_num_queries(len(few)):
        client.get(url)


def test_erasing_a_name_previews_then_cleans_records_and_history(client, plan_admin):
    activity = ActivityFactory(responsible_unit="Fritidsgården, kontakt Eva Ek")
    change_title(activity, plan_admin, "Möte med eva ek om lokalen")
    other = ActivityFactory(responsible_unit="Kultur- och fritidskontoret")
    client.force_login(plan_admin)
    url = reverse("audit:erase-name")

    preview = client.post(url, {"name": "Eva Ek"})
    assert "Eva Ek" in Activity.objects.get(pk=activity.pk).responsible_unit
    done = client.post(url, {"name": "Eva Ek", "confirm": "on"})

    activity.refresh_from_db()
    assert preview.status_code == 200
    assert preview.context["preview"][0].current == 1
    assert done.status_code == 302
    assert activity.responsible_unit == f"Fritidsgården, kontakt {REPLACEMENT}"
    assert activity.title == f"Möte med {REPLACEMENT} om lokalen"
    history_text = " ".join(
        f"{record.title} {record.responsible_unit}" for record in activity.history.all()
    )
    assert "eva ek" not in history_text.lower()
    assert REPLACEMENT in history_text
    assert Activity.objects.get(pk=other.pk).responsible_unit == "Kultur- och fritidskontoret"


def test_erasure_bumps_the_version_so_an_open_form_cannot_restore_the_name(client, plan_admin):
    activity = ActivityFactory(responsible_unit="Eva Ek")
    client.force_login(plan_admin)
    client.post(reverse("audit:erase-name"), {"name": "Eva Ek", "confirm": "on"})

    assert Activity.objects.get(pk=activity.pk).version == activity.version + 1
