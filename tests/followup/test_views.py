"""The follow-up in the portal: the round's reporting state, the report form, version diffs."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from followup.models import ActivityReview, Assessment, FollowUp, IndicatorValue
from followup.rounds import close_round, write_revision
from klockaretorpet import pending_uploads, permissions
from plans.models import Activity, ActivityStatus
from strategies.models import Membership
from tests.conftest import count_queries
from tests.factories import ActivityFactory, IndicatorFactory, OrganisationFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(django_user_model):
    plan = PlanFactory(start_year=2024, end_year=2027)
    kommun = OrganisationFactory(name="Norrköpings kommun")
    unit = OrganisationFactory(name="Kultur- och fritidskontoret", parent=kommun)
    hbn = OrganisationFactory(name="Hyresbostäder i Norrköping")
    first = ActivityFactory(plan=plan, lead_organisation=unit, title="Läxhjälp")
    second = ActivityFactory(
        plan=plan, strategy=first.strategy, lead_organisation=hbn, title="Trapphusmöten"
    )
    IndicatorFactory(activity=first, name="Deltagare", unit="st", baseline_value=10)
    follow_up = FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))

    def person(username, group, organisation, first_name):
        user = django_user_model.objects.create_user(
            username, first_name=first_name, is_staff=group != "Läsare"
        )
        user.groups.add(Group.objects.get(name=group))
        Membership.objects.create(user=user, organisation=organisation)
        client = Client()
        client.force_login(user)
        return user, client

    return {
        "plan": plan,
        "follow_up": follow_up,
        "kommun_activity": first,
        "hbn_activity": second,
        "kommun_editor": person("kerstin", "Redaktör", kommun, "Kerstin"),
        "kommun_colleague": person("kalle", "Redaktör", kommun, "Kalle"),
        "hbn_editor": person("hanna", "Redaktör", hbn, "Hanna"),
        "admin": person("pia", "Planadministratör", kommun, "Pia"),
    }


def review_url(world, name):
    return reverse("followup:review-edit", args=[world["follow_up"].pk, world[name].pk])


def report_data(**changes):
    return {
        "assessment": Assessment.DEVIATION,
        "done": "Två av tre träffar genomförda.",
        "deviations": "Lokalen blev inte klar i tid.",
        "next_step": "Flytta till biblioteket.",
        "new_status": ActivityStatus.ONGOING,
        # A form opened before anyone reported.
        "version": 0,
        **changes,
    }


def test_the_responsible_editor_reports_and_the_round_page_counts_it(world):
    user, client = world["kommun_editor"]
    activity = world["kommun_activity"]
    indicator = activity.indicators.get()

    saved = client.post(
        review_url(world, "kommun_activity"), report_data(**{f"indicator_{indicator.pk}": "12,5"})
    )
    # Every activity, not the editor's default of their own unreported ones.
    page = client.get(
        reverse("followup:round-detail", args=[world["follow_up"].pk]),
        {"organisation": "", "state": ""},
    )
    text = page.content.decode()

    assert saved.status_code == 302
    review = ActivityReview.objects.get()
    assert (review.reviewed_by, review.assessment) == (user, Assessment.DEVIATION)
    assert str(IndicatorValue.objects.get().actual_value) == "12.50"
    assert Activity.objects.get(pk=activity.pk).status == ActivityStatus.ONGOING
    assert review.history.first().history_user == user
    assert "1 av 2 rapporterade" in text
    assert "rapporterad" in text
    assert "ej rapporterad" in text
    # A label on its own, as a badge, starts with a capital.
    assert ">Avvikelse<" in text


def test_editors_of_other_organisations_read_but_cannot_report(world):
    _user, client = world["kommun_editor"]
    client.post(review_url(world, "kommun_activity"), report_data())
    _other, hbn_client = world["hbn_editor"]

    shown = hbn_client.get(review_url(world, "kommun_activity"))
    refused = hbn_client.post(review_url(world, "kommun_activity"), report_data(done="Annat"))

    assert shown.status_code == 200
    assert "Två av tre träffar genomförda." in shown.content.decode()
    assert 'name="done"' not in shown.content.decode()
    assert refused.status_code == 403
    assert ActivityReview.objects.get().done == "Två av tre träffar genomförda."


def test_a_report_saved_from_a_stale_form_is_refused_naming_who(world):
    _kerstin, kerstin = world["kommun_editor"]
    _kalle, kalle = world["kommun_colleague"]
    url = review_url(world, "kommun_activity")
    kerstin.post(url, report_data())
    # Both open the saved report: their forms carry the same version.
    version = ActivityReview.objects.get().version
    kalle.post(url, report_data(done="Kalles text", version=version))

    refused = kerstin.post(url, report_data(done="Kerstins text", version=version))

    assert refused.status_code == 200
    assert "Kalle" in refused.content.decode()
    assert ActivityReview.objects.get().done == "Kalles text"


def test_two_first_reports_at_once_keep_the_first(world):
    _kerstin, kerstin = world["kommun_editor"]
    _kalle, kalle = world["kommun_colleague"]
    url = review_url(world, "kommun_activity")
    kalle.post(url, report_data(done="Kalles text"))

    refused = kerstin.post(url, report_data(done="Kerstins text"))

    assert refused.status_code == 200
    assert "Kalle" in refused.content.decode()
    assert ActivityReview.objects.get().done == "Kalles text"


def test_a_closed_round_cannot_be_reported_through_the_portal(world):
    admin, client = world["admin"]
    client.post(review_url(world, "kommun_activity"), report_data())
    close_round(world["follow_up"], user=admin, reason="Hyresbostäder rapporterar muntligt.")

    changed = client.post(review_url(world, "kommun_activity"), report_data(done="Efteråt"))
    added = client.post(review_url(world, "hbn_activity"), report_data(done="Efteråt"))
    page = client.get(review_url(world, "kommun_activity")).content.decode()

    assert (changed.status_code, added.status_code) == (403, 403)
    assert list(ActivityReview.objects.values_list("done", flat=True)) == [
        "Två av tre träffar genomförda."
    ]
    assert 'name="done"' not in page


def test_the_round_page_filters_by_organisation_including_its_units(world):
    _user, client = world["hbn_editor"]
    url = reverse("followup:round-detail", args=[world["follow_up"].pk])
    kommun = world["kommun_activity"].lead_organisation.parent

    text = client.get(url, {"organisation": kommun.pk}).content.decode()

    assert "Läxhjälp" in text
    assert "Trapphusmöten" not in text


def test_the_round_page_query_count_does_not_grow_with_activities(world):
    _user, client = world["admin"]
    url = reverse("followup:round-detail", args=[world["follow_up"].pk])
    few = count_queries(client, url)
    for number in range(20):
        activity = ActivityFactory(plan=world["plan"], strategy=world["hbn_activity"].strategy)
        if number % 2:
            ActivityReview.objects.create(
                follow_up=world["follow_up"],
                activity=activity,
                assessment=Assessment.ON_TRACK,
                done="Klart",
                new_status=ActivityStatus.DONE,
            )
    assert count_queries(client, url) == few


def test_the_version_page_lists_changes_field_by_field(world):
    admin, client = world["admin"]
    write_revision(world["plan"], user=admin, decided_by="Styrgruppen")
    activity = world["hbn_activity"]
    activity.title = "Trapphusträffar"
    activity.save()
    newer = write_revision(world["plan"], user=admin, decision_reference="KS 2026/123")

    text = client.get(reverse("followup:version-diff", args=[newer.pk])).content.decode()

    assert "Ändringar från version 1 till 2" in text
    assert "Trapphusmöten" in text
    assert "Trapphusträffar" in text
    assert "KS 2026/123" in text


def test_closing_from_the_portal_lists_the_unreported_and_needs_a_reason(world):
    admin, client = world["admin"]
    client.post(review_url(world, "kommun_activity"), report_data())
    url = reverse("followup:round-close", args=[world["follow_up"].pk])

    page = client.get(url).content.decode()
    refused = client.post(url, {"reason": ""})
    closed = client.post(url, {"reason": "Hyresbostäder rapporterar på mötet."})

    assert world["hbn_activity"].reference_code in page
    assert "1 aktivitet har inte rapporterats" in page
    assert refused.status_code == 200
    assert closed.status_code == 302
    follow_up = FollowUp.objects.get()
    assert not follow_up.is_open
    assert follow_up.version.note == "Hyresbostäder rapporterar på mötet."
    assert follow_up.version.created_by == admin
    assert client.get(url).status_code == 403


def test_a_plan_admin_writes_a_revision_with_its_decision(world):
    admin, client = world["admin"]
    _editor, editor_client = world["kommun_editor"]
    url = reverse("followup:plan-revision", args=[world["plan"].pk])
    decision = {
        "decided_by": "Styrgruppen för Fler kan mer",
        "decision_date": "2026-03-12",
        "decision_reference": "KS 2026/41",
        "note": "Ny aktivitet om läxhjälp.",
    }

    refused = editor_client.post(url, decision)
    written = client.post(url, decision)

    assert refused.status_code == 403
    version = world["plan"].versions.get()
    assert written.url == reverse("followup:version-diff", args=[version.pk])
    assert (version.kind, version.decision_reference, version.created_by) == (
        "revision",
        "KS 2026/41",
        admin,
    )
    assert version.decision_date == datetime.date(2026, 3, 12)
    declaration_page = client.get(world["plan"].declaration.get_absolute_url()).content.decode()
    assert reverse("followup:version-diff", args=[version.pk]) in declaration_page
    assert reverse("followup:round-detail", args=[world["follow_up"].pk]) in declaration_page


def test_an_editor_fills_in_the_excel_sheet_previews_and_confirms(world):
    import io

    import openpyxl

    user, client = world["kommun_editor"]
    kommun = world["kommun_activity"].lead_organisation.parent
    sheet_url = reverse("followup:round-export", args=[world["follow_up"].pk])
    import_url = reverse("followup:round-import", args=[world["follow_up"].pk])
    exported = client.get(sheet_url, {"organisation": kommun.pk})
    workbook = openpyxl.load_workbook(io.BytesIO(exported.content))
    sheet = workbook.active
    headings = [cell.value for cell in sheet[1]]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [
        world["kommun_activity"].reference_code
    ]
    sheet.cell(2, headings.index("Bedömning") + 1).value = "enligt plan"
    sheet.cell(2, headings.index("Vad som har gjorts") + 1).value = "Läxhjälp varje tisdag."
    sheet.cell(2, headings.index("Ny status") + 1).value = "pågående"
    buffer = io.BytesIO()
    workbook.save(buffer)

    file = io.BytesIO(buffer.getvalue())
    file.name = "uppfoljning.xlsx"
    preview = client.post(import_url, {"import_file": file})
    token = preview.context["token"]

    assert "Läxhjälp varje tisdag." in preview.content.decode()
    assert not ActivityReview.objects.exists()
    confirmed = client.post(import_url, {"token": token})
    assert confirmed.status_code == 302
    review = ActivityReview.objects.get()
    assert (review.done, review.reviewed_by) == ("Läxhjälp varje tisdag.", user)
    # The same token cannot import twice.
    assert client.post(import_url, {"token": token}).status_code == 302
    assert ActivityReview.objects.count() == 1


def test_a_bad_sheet_lists_its_problems_and_imports_nothing(world):
    import io

    import openpyxl

    _user, client = world["kommun_editor"]
    import_url = reverse("followup:round-import", args=[world["follow_up"].pk])
    exported = client.get(reverse("followup:round-export", args=[world["follow_up"].pk]))
    workbook = openpyxl.load_workbook(io.BytesIO(exported.content))
    sheet = workbook.active
    headings = [cell.value for cell in sheet[1]]
    for row in (2, 3):
        sheet.cell(row, headings.index("Bedömning") + 1).value = "nästan klart"
        sheet.cell(row, headings.index("Vad som har gjorts") + 1).value = "Något"
        sheet.cell(row, headings.index("Ny status") + 1).value = "pågående"
    file = io.BytesIO()
    workbook.save(file)
    file.seek(0)
    file.name = "uppfoljning.xlsx"

    response = client.post(import_url, {"import_file": file})
    text = response.content.decode()

    assert "Ingenting importerades" in text
    # Each problem by the sheet's own row and column heading.
    assert "<tr><td>2</td><td>Bedömning</td>" in text
    assert not response.context["token"]
    assert not ActivityReview.objects.exists()


def test_no_portal_url_changes_a_closed_round(world):
    """Every follow-up URL of the portal, posted to by a plan administrator after closing."""
    import io

    from django.urls import get_resolver

    from followup.models import PlanVersion

    admin, client = world["admin"]
    follow_up = world["follow_up"]
    client.post(review_url(world, "kommun_activity"), report_data())
    sheet = client.get(reverse("followup:round-export", args=[follow_up.pk])).content
    close_round(follow_up, user=admin, reason="Stängd för provet.")
    version = PlanVersion.objects.get()

    def state():
        return (
            list(FollowUp.objects.values_list("state", "summary", "year", "closed_at")),
            list(ActivityReview.objects.values_list("done", "assessment", "version")),
            list(IndicatorValue.objects.values_list("actual_value", flat=True)),
            list(PlanVersion.objects.values_list("number", "note", "snapshot")),
        )

    before = state()
    args = {
        "round-detail": [follow_up.pk],
        "review-edit": [follow_up.pk, world["kommun_activity"].pk],
        "round-close": [follow_up.pk],
        "round-report": [follow_up.pk],
        "round-export": [follow_up.pk],
        "round-import": [follow_up.pk],
        "version-diff": [version.pk],
        "version-plan-report": [version.pk],
        # Read-only pages of the declaration: they answer a POST with 405.
        **{
            name: [follow_up.plan.declaration.slug]
            for name in [
                "dashboard",
                "public-declaration",
                "public-json",
                "public-csv",
            ]
        },
    }
    names = set(get_resolver().namespace_dict["followup"][1].reverse_dict.keys()) - {None}
    covered = {name for name in names if isinstance(name, str)}
    # plan-report and plan-revision concern the plan, not the round.
    assert covered - {"plan-report", "plan-revision"} == set(args)
    for name, url_args in args.items():
        url = reverse(f"followup:{name}", args=url_args)
        for data in (
            report_data(done="Efteråt", version=2),
            {"reason": "Igen"},
            {"import_file": io.BytesIO(sheet)},
        ):
            response = client.post(url, data)
            assert response.status_code in (403, 405), (name, response.status_code)

    assert state() == before


# --- pending uploads (issue 12, case 14) -------------------------------------------------------


def filled_in_round_sheet(world, client, organisation=None):
    import io

    import openpyxl

    query = {"organisation": organisation.pk} if organisation else {}
    exported = client.get(reverse("followup:round-export", args=[world["follow_up"].pk]), query)
    workbook = openpyxl.load_workbook(io.BytesIO(exported.content))
    sheet = workbook.active
    headings = [cell.value for cell in sheet[1]]
    sheet.cell(2, headings.index("Bedömning") + 1).value = "enligt plan"
    sheet.cell(2, headings.index("Vad som har gjorts") + 1).value = "Läxhjälp varje tisdag."
    sheet.cell(2, headings.index("Ny status") + 1).value = "pågående"
    file = io.BytesIO()
    workbook.save(file)
    file.seek(0)
    file.name = "uppfoljning.xlsx"
    return file


def test_round_import_names_a_password_protected_workbook(world):
    import io

    from tests.sheet_files import encrypted

    user, client = world["kommun_editor"]
    import_url = reverse("followup:round-import", args=[world["follow_up"].pk])
    file = io.BytesIO(encrypted(filled_in_round_sheet(world, client).getvalue()))
    file.name = "skyddad.xlsx"

    page = client.post(import_url, {"import_file": file}).content.decode()

    assert "Filen ”skyddad.xlsx” är en lösenordsskyddad Excelarbetsbok" in page
    assert pending_uploads.pending_tokens(user) == []


def test_round_import_holds_two_previews_a_user_and_none_after_confirming(world):
    user, client = world["kommun_editor"]
    kommun = world["kommun_activity"].lead_organisation.parent
    import_url = reverse("followup:round-import", args=[world["follow_up"].pk])
    tokens = [
        client.post(
            import_url, {"import_file": filled_in_round_sheet(world, client, kommun)}
        ).context["token"]
        for _ in range(3)
    ]
    assert all(tokens)
    assert pending_uploads.pending_tokens(user) == tokens[1:]

    assert client.post(import_url, {"token": tokens[2]}).status_code == 302

    assert ActivityReview.objects.count() == 1
    assert pending_uploads.pending_tokens(user) == [tokens[1]]


def test_round_import_refuses_another_users_token(world, django_user_model):
    user, client = world["kommun_editor"]
    kommun = world["kommun_activity"].lead_organisation.parent
    import_url = reverse("followup:round-import", args=[world["follow_up"].pk])
    token = client.post(
        import_url, {"import_file": filled_in_round_sheet(world, client, kommun)}
    ).context["token"]
    _colleague, colleague_client = world["kommun_colleague"]

    refused = colleague_client.post(import_url, {"token": token}, follow=True)

    assert "Förhandsvisningen har gått ut" in refused.content.decode()
    assert not ActivityReview.objects.exists()
    assert pending_uploads.pending_tokens(user) == [token]


@pytest.mark.parametrize(
    ("group", "is_open", "may_close", "may_import"),
    [
        ("Planadministratör", True, True, True),
        ("Redaktör", True, False, True),
        ("Läsare", True, False, False),
        ("Planadministratör", False, False, False),
        ("Redaktör", False, False, False),
    ],
)
def test_who_may_close_and_import_a_round(django_user_model, group, is_open, may_close, may_import):
    user = django_user_model.objects.create_user(f"user-{group}")
    user.groups.add(Group.objects.get(name=group))
    follow_up = SimpleNamespace(is_open=is_open)

    assert permissions.can_close_round(user, follow_up) is may_close
    assert permissions.can_import_round(user, follow_up) is may_import


def test_the_round_import_preview_reads_as_the_activity_import_does(world):
    """A round sheet saved by Swedish Excel as CSV: the counts first, only the changed cells of
    a changed report, the new report, the unreported and unchanged rows collapsed."""
    import io

    import openpyxl

    from tests.sheet_files import as_excel_csv

    admin, client = world["admin"]
    plan, follow_up = world["plan"], world["follow_up"]
    strategy = world["kommun_activity"].strategy
    kept = ActivityFactory(plan=plan, strategy=strategy, title="Boendedialog")
    changed = ActivityFactory(plan=plan, strategy=strategy, title="Fritidsgård")
    for activity in (kept, changed):
        ActivityReview.objects.create(
            follow_up=follow_up,
            activity=activity,
            assessment=Assessment.ON_TRACK,
            done=f"Genomfört enligt plan: {activity.title}.",
            next_step="Fortsätter som planerat.",
            new_status=ActivityStatus.ONGOING,
            reviewed_by=admin,
        )
    exported = client.get(reverse("followup:round-export", args=[follow_up.pk]))
    workbook = openpyxl.load_workbook(io.BytesIO(exported.content))
    sheet = workbook.active
    headings = {cell.value: cell.column for cell in sheet[1]}
    rows = {row[0].value: row[0].row for row in sheet.iter_rows(min_row=2)}
    sheet.cell(rows[changed.reference_code], headings["Bedömning"]).value = "avvikelse"
    sheet.cell(
        rows[changed.reference_code], headings["Avvikelser och orsaker"]
    ).value = "Lokalen stängd."
    new = rows[world["kommun_activity"].reference_code]
    sheet.cell(new, headings["Bedömning"]).value = "enligt plan"
    sheet.cell(new, headings["Vad som har gjorts"]).value = "Läxhjälp varje tisdag."
    sheet.cell(new, headings["Ny status"]).value = "pågående"
    file = io.BytesIO(as_excel_csv(workbook))
    file.name = "uppfoljning.csv"

    preview = client.post(
        reverse("followup:round-import", args=[follow_up.pk]), {"import_file": file}
    )
    page = preview.content.decode()
    summary = page[page.index('<section class="import-summary"') : page.index("</section>")]

    assert preview.context["token"]
    assert "uppfoljning.csv: 4 rader: 1 ny, 1 ändrad, 1 oförändrad, 1 ej rapporterad." in summary
    changed_row = summary[summary.index(f"{changed.reference_code} Fritidsgård") :]
    changed_row = changed_row[: changed_row.index("</tr>")]
    assert "<strong>Bedömning:</strong> <del>enligt plan</del>" in changed_row
    assert (
        '<strong>Avvikelser och orsaker:</strong> <span class="import-summary__empty">(tom)</span>'
        in (changed_row)
    )
    assert "Vad som har gjorts" not in changed_row
    assert "1 ny rad" in summary
    assert "Läxhjälp varje tisdag." in summary
    # Collapsed: named by code, their reports not repeated.
    assert "1 oförändrad rad" in summary
    assert "Genomfört enligt plan: Boendedialog." not in summary
    assert "1 rad ej rapporterad" in summary
    assert "None" not in summary
    assert page.index("4 rader:") < page.index('name="token"')
