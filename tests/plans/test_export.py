import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from klockaretorpet.plain_text import normalise_text
from klockaretorpet.xlsx import write_workbook
from plans.models import Activity, ActivityStatus
from plans.resources import ActivityResource, export_activities_workbook
from tests.factories import ActivityFactory, IndicatorFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

HEADERS = [
    "Referenskod",
    "Målbild",
    "Strategi",
    "Aktivitet",
    "Beskrivning",
    "Aktivitetstyp",
    "Ansvarig organisation",
    "Medansvariga organisationer",
    "Ansvarig enhet eller kontakt",
    "Planerad start",
    "Planerat slut",
    "Tidplansanteckning",
    "Mätbarhet",
    "Indikatorer",
    "Status",
    "Kritiska framgångsfaktorer",
    "Målsättningar",
    "Senast ändrad",
    "Ändrad av",
]


def read(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def rows_by_code(sheet) -> dict[str, dict]:
    headers = [cell.value for cell in sheet[1]]
    return {
        row[0].value: dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2)
    }


@pytest.fixture
def activity(db, admin_user):
    activity = ActivityFactory(
        title="Belysning i centrum",
        planned_start=datetime.date(2024, 3, 1),
        planned_end=datetime.date(2025, 12, 1),
        status=ActivityStatus.ONGOING,
    )
    activity.co_organisations.add(OrganisationFactory(name="Polismyndigheten"))
    activity.co_organisations.add(OrganisationFactory(name="Hyresbostäder i Norrköping"))
    IndicatorFactory(
        activity=activity,
        name="Trygga boende",
        unit="%",
        baseline_value="58.5",
        baseline_year=2022,
        target_value=70,
        target_year=2026,
    )
    activity._history_user = admin_user
    activity.save()
    return activity


def test_export_has_swedish_headers_native_dates_and_readable_lists(activity, admin_user):
    name, content = export_activities_workbook(
        activity.plan.activities.all(),
        declaration_slug="klockaretorpet",
        today=datetime.date(2026, 11, 26),
    )
    sheet = read(content)
    row = rows_by_code(sheet)[activity.reference_code]

    assert name == "aktiviteter-klockaretorpet-2026-11-26.xlsx"
    assert sheet.title == "klockaretorpet 2026-11-26"
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["D"].width >= len("Belysning i centrum")
    # openpyxl reads Excel dates back as naive datetimes.
    assert row["Planerad start"].value.date() == datetime.date(2024, 3, 1)
    assert row["Planerad start"].number_format == "yyyy-mm"
    assert row["Status"].value == "pågående"
    assert row["Medansvariga organisationer"].value == (
        "Hyresbostäder i Norrköping; Polismyndigheten"
    )
    assert row["Indikatorer"].value == "Trygga boende (%): 58,5 (2022) → 70 (2026)"
    assert row["Strategi"].value.startswith(activity.strategy.number + " ")
    assert isinstance(row["Senast ändrad"].value, datetime.datetime)
    assert row["Senast ändrad"].value == timezone.localtime(activity.updated_at).replace(
        tzinfo=None, microsecond=row["Senast ändrad"].value.microsecond
    )
    assert row["Ändrad av"].value == admin_user.username


@pytest.mark.parametrize(
    "dangerous",
    [
        '=HYPERLINK("http://example.com","klicka")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1,2)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_formula_looking_text_comes_back_as_plain_text(dangerous):
    activity = ActivityFactory()
    # Stored as older versions stored it; a save now strips the leading blanks.
    Activity.objects.filter(pk=activity.pk).update(title=dangerous, measurability=dangerous)
    _name, content = export_activities_workbook(Activity.objects.all(), declaration_slug="x")
    row = rows_by_code(read(content))[activity.reference_code]

    for header in ("Aktivitet", "Mätbarhet"):
        assert row[header].data_type == "s", header
        # The sheet holds the text in the one form every write path stores (blanks around it
        # dropped), and whatever it starts with stays text.
        assert row[header].value == normalise_text(dangerous)
        assert row[header].quotePrefix


def test_a_control_character_before_a_formula_cannot_smuggle_it_into_the_sheet():
    # Such text can no longer be saved (see test_plain_text); rows stored before may hold it.
    activity = ActivityFactory()
    smuggled = '\x01=HYPERLINK("http://example.com","klicka")'
    Activity.objects.filter(pk=activity.pk).update(title=smuggled, measurability=smuggled)
    _name, content = export_activities_workbook(Activity.objects.all(), declaration_slug="x")
    row = rows_by_code(read(content))[activity.reference_code]

    for header in ("Aktivitet", "Mätbarhet"):
        assert row[header].data_type == "s", header
        assert row[header].value == smuggled[1:]
        assert row[header].quotePrefix


@pytest.mark.parametrize(
    ("given", "shown"),
    [("\t=1+1", "\t=1+1"), ("\x01=1+1", "=1+1"), ("\x7f\x02@SUM(1,2)", "@SUM(1,2)")],
)
def test_any_text_handed_to_the_writer_stays_text(given, shown):
    cell = read(write_workbook(["Aktivitet"], [[given]]))["A2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (shown, "s", True)


def test_nul_characters_are_dropped_rather_than_breaking_the_file():
    # PostgreSQL stores no NUL, but a SQLite database or a resource's own value could hold one.
    content = write_workbook(["Aktivitet"], [["\x00=1+1 dold"]])
    cell = read(content)["A2"]
    assert cell.value == "=1+1 dold"
    assert cell.data_type == "s"


def test_command_writes_the_same_file_as_the_portal(tmp_path, client, reader):
    call_command("loaddata", "klockaretorpet", verbosity=0)
    target = tmp_path / "plan.xlsx"
    call_command("export_activities", "--declaration", "klockaretorpet", "-o", str(target))
    client.force_login(reader)
    response = client.get(reverse("plans:declaration-export", args=["klockaretorpet"]))

    from_command = read(target.read_bytes())
    from_portal = read(response.content)
    assert response["Content-Disposition"] == (
        f'attachment; filename="aktiviteter-klockaretorpet-{timezone.localdate()}.xlsx"'
    )
    assert [[c.value for c in r] for r in from_command.iter_rows()] == [
        [c.value for c in r] for r in from_portal.iter_rows()
    ]
    assert sorted(rows_by_code(from_command)) == ["1.1.1", "1.2.1", "3.1.1", "3.2.1"]


def test_command_names_unknown_declarations(tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="finns inte"):
        call_command("export_activities", "--declaration", "saknas", "-o", str(tmp_path / "x"))


def test_portal_export_honours_the_filters(client, reader, activity):
    other = ActivityFactory(plan=activity.plan, strategy=activity.strategy, status="planned")
    client.force_login(reader)
    url = reverse("plans:declaration-export", args=[activity.plan.declaration.slug])

    codes = rows_by_code(read(client.get(url, {"status": "ongoing"}).content))

    assert list(codes) == [activity.reference_code]
    assert other.reference_code not in codes


def test_admin_export_honours_the_changelist_filters(admin_client, activity):
    ActivityFactory(plan=activity.plan, strategy=activity.strategy, status="planned")
    url = reverse("admin:plans_activity_export") + "?status__exact=ongoing"

    page = admin_client.get(url)
    response = admin_client.post(
        url,
        {
            "format": "0",
            "resource": "0",
            **{f"activityresource_{name}": "on" for name in ActivityResource.Meta.export_order},
        },
    )

    assert page.status_code == 200
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(
        f'aktiviteter-{activity.plan.declaration.slug}-{timezone.localdate()}.xlsx"'
    )
    assert list(rows_by_code(read(response.content))) == [activity.reference_code]


def test_export_query_count_does_not_grow_with_activities(make_activities):
    plan, _ = make_activities(10)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            export_activities_workbook(plan.activities.all(), declaration_slug="x")
        return len(captured)

    with_ten = queries()
    make_activities(60, plan=plan)
    assert queries() == with_ten
