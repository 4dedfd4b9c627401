"""The round's report as the review meeting uses it, read back from the rendered PDF (pypdf):
contents and bookmarks, Läget i korthet, Att ta upp, drafts marked, the language asked for,
the Kortversion and the tagged structure a screen reader needs."""

import datetime
import io
import itertools
import re

import pypdf
import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from followup.models import AssessmentOutcome, FollowUp
from followup.reports import followup_report_pdf, plan_report_pdf, report_context
from followup.rounds import close_round
from plans.models import Activity, ActivityStatus
from tests.factories import (
    ActivityFactory,
    ActivityReviewFactory,
    GoalFactory,
    PlanFactory,
    StrategyFactory,
)

pytestmark = pytest.mark.django_db

PRELIMINARY = "Preliminär – uppföljningen är inte stängd"
FAR_AHEAD = datetime.date(2030, 12, 1)
LONG_AGO = datetime.date(2025, 6, 1)
# Enough text that målbild 1's activities fill several pages: the page numbers mean something.
LONG_REPORT = "Träffar med boende, föreningar och skolan genomfördes varje månad. " * 20


def pages_of(pdf: bytes) -> tuple[list[str], pypdf.PdfReader]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages], reader


def section(pages: list[str], start: str, end: str) -> str:
    """The text from the heading `start` to the heading `end`, across pages."""
    text = " ".join(pages)
    begin = text.index(start, text.index(start) + 1)  # the first is the contents' entry
    return text[begin : text.index(end, begin)]


def outline_entries(reader: pypdf.PdfReader, items=None, depth=0):
    """(depth, title, page number) of every bookmark, in order."""
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            yield from outline_entries(reader, item, depth + 1)
        else:
            yield depth, item.title, reader.get_destination_page_number(item) + 1


@pytest.fixture
def meeting(django_user_model):
    """Two rounds of a plan with two målbilder. Round 2024 is closed (version 1); since then
    one activity was added, one finished, one cancelled; round 2025 holds reports of every
    kind the meeting sorts by."""
    admin = django_user_model.objects.create_user("pia", first_name="Pia", last_name="Plan")
    plan = PlanFactory(start_year=2024, end_year=2030, name="Aktivitetsplan Klockaretorpet")
    goal_1 = GoalFactory(declaration=plan.declaration, position=1, title="Trivsam stadsdel")
    goal_2 = GoalFactory(declaration=plan.declaration, position=2, title="Ökad delaktighet")
    s11 = StrategyFactory(goal=goal_1, position=1, title="Rörelse och sammankoppling")
    s12 = StrategyFactory(goal=goal_1, position=2, title="Verksamheter")
    s21 = StrategyFactory(goal=goal_2, position=1, title="Arbetsmarknad")

    def activity(strategy, title, **fields):
        fields.setdefault("planned_end", FAR_AHEAD)
        fields.setdefault("status", ActivityStatus.ONGOING)
        return ActivityFactory(plan=plan, strategy=strategy, title=title, **fields)

    a = {
        "walks": activity(s11, "Trygghetsvandringar"),
        "homework": activity(s11, "Läxhjälp på biblioteket"),
        "preschool": activity(s11, "Öppen förskola"),
        "cleaning": activity(s12, "Städdag på gårdarna"),
        "football": activity(s12, "Fotbollsturnering"),
        "festival": activity(s21, "Kulturfestival", planned_end=LONG_AGO),
        "reading": activity(s21, "Läsfrämjande insatser"),
        "bikes": activity(s21, "Cykelkök"),
        "jobs": activity(s21, "Sommarjobb för unga"),
    }
    earlier = FollowUp.objects.create(plan=plan, year=2024, deadline=datetime.date(2025, 1, 31))
    for key, assessment in [("walks", "deviation"), ("homework", "on_track")]:
        ActivityReviewFactory(follow_up=earlier, activity=a[key], assessment=assessment, user=admin)
    close_round(earlier, user=admin, reason="Första året.")

    a["football"].status = ActivityStatus.DONE
    a["football"].save()
    a["jobs"].status = ActivityStatus.CANCELLED
    a["jobs"].save()
    a["mentors"] = activity(s21, "Läxhjälp med mentorer")

    follow_up = FollowUp.objects.create(
        plan=plan,
        year=2025,
        deadline=datetime.date(2026, 1, 31),
        meeting_date=datetime.date(2026, 2, 26),
    )
    reports = {
        "walks": ("on_track", "", LONG_REPORT),
        "homework": ("deviation", "Lokalen blev klar först i maj. Därför började vi sent.", ""),
        "preschool": ("serious_deviation", "Ingen personal fanns att anställa. Mer text.", ""),
        "festival": ("on_track", "", ""),
        "reading": ("deviation", "Färre böcker än planerat.", ""),
        "bikes": ("serious_deviation", "Verkstaden brann ner i mars.", ""),
        "mentors": ("on_track", "", LONG_REPORT),
    }
    for key, (assessment, deviations, done) in reports.items():
        ActivityReviewFactory(
            follow_up=follow_up,
            activity=a[key],
            assessment=assessment,
            deviations=deviations,
            done=done or "Genomfört.",
            user=admin,
        )
    for number in range(4):  # more long reports under målbild 1: it takes several pages
        ActivityReviewFactory(
            follow_up=follow_up,
            activity=activity(s12, f"Gårdsträff {number + 1}"),
            assessment="on_track",
            done=LONG_REPORT,
            user=admin,
        )
    activities = {key: Activity.objects.get(pk=value.pk) for key, value in a.items()}
    return FollowUp.objects.get(pk=follow_up.pk), activities, admin


def reader_role(user) -> None:
    user.groups.add(Group.objects.get(name="Läsare"))


def closed(follow_up, admin) -> FollowUp:
    close_round(follow_up, user=admin, reason="Städdagen rapporteras muntligt.")
    return FollowUp.objects.get(pk=follow_up.pk)


def test_the_contents_page_numbers_are_where_each_goal_starts_and_bookmarks_lead_there(meeting):
    follow_up, _activities, admin = meeting
    pages, reader = pages_of(followup_report_pdf(closed(follow_up, admin))[1])

    contents = pages[0][pages[0].index("Innehåll") :]
    listed = {
        int(goal): int(page)
        for goal, page in re.findall(r"Målbild (\d): [^.]+?[ .]*\.{3,}[ .]*(\d+)", contents)
    }
    assert set(listed) == {1, 2}
    assert listed[2] > listed[1] + 1  # målbild 1 takes more than a page
    for goal, title in [(1, "Trivsam stadsdel"), (2, "Ökad delaktighet")]:
        page = pages[listed[goal] - 1]
        # The goal's own heading opens the page (the running title is read last).
        assert page.startswith(f"Målbild {goal}: {title}")
    for heading in ["Läget i korthet", "Att ta upp", "Förändringar sedan förra versionen"]:
        page = int(re.search(re.escape(heading) + r"[ .]*\.{3,}[ .]*(\d+)", contents)[1])
        assert pages[page - 1].startswith(heading)

    bookmarks = list(outline_entries(reader))
    assert (0, "Målbild 1: Trivsam stadsdel", listed[1]) in bookmarks
    assert (0, "Målbild 2: Ökad delaktighet", listed[2]) in bookmarks
    assert (1, "Strategi 1.1: Rörelse och sammankoppling", listed[1]) in bookmarks
    assert any(title == "Strategi 2.1: Arbetsmarknad" for _depth, title, _page in bookmarks)
    assert (0, "Att ta upp", 3) in bookmarks
    # Not one bookmark per activity: a 300-activity plan's outline must stay usable.
    assert not any("Trygghetsvandringar" in title for _depth, title, _page in bookmarks)
    assert f"Sida {len(pages)} av {len(pages)}" in pages[-1]


def test_att_ta_upp_lists_what_to_discuss_worst_first_each_linked_to_its_page(meeting):
    follow_up, a, admin = meeting
    pages, reader = pages_of(followup_report_pdf(closed(follow_up, admin))[1])
    table = section(pages, "Att ta upp", "Sammanfattning per målbild")

    listed = [
        key
        for position, key in sorted(
            (table.index(f"{a[key].reference_code} {a[key].title}"), key)
            for key in a
            if f"{a[key].reference_code} {a[key].title}" in table
        )
    ]
    # Serious deviations, deviations, not reported, then late; code order within each.
    # Not listed: reported on track and on time; finished (football) or cancelled (jobs).
    assert listed == ["preschool", "bikes", "homework", "reading", "cleaning", "festival"]
    # The deviation's first sentence only; the lead organisation and the assessment in words.
    assert "Ingen personal fanns att anställa." in table
    assert "Mer text." not in table
    assert "Lokalen blev klar först i maj." in table
    assert "Därför började vi sent." not in table
    assert a["preschool"].lead_organisation.name in table
    assert "Allvarlig avvikelse" in table
    assert "Försenad: planerat slut har passerat." in table

    # Each row's code links to the activity's own place in the report.
    first_goal_page = next(n for n, page in enumerate(pages, 1) if page.startswith("Målbild 1"))
    page_of_activity = {
        key: next(
            number
            for number, page in enumerate(pages[first_goal_page - 1 :], start=first_goal_page)
            if f"{a[key].reference_code} {a[key].title}" in page
        )
        for key in listed
    }
    discussion_pages = [
        number
        for number, page in enumerate(pages, start=1)
        if page.count("Att ta upp") and "Allvarliga avvikelser först" in page
    ]
    rows = {}  # (page, top of the row) -> the pages its links lead to, in reading order
    for number in discussion_pages:
        for annotation in reader.pages[number - 1].get("/Annots", []):
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link":
                top = round(float(annotation["/Rect"][3]))
                rows.setdefault((number, -top), set()).add(link_target_page(reader, annotation))
    assert [rows[row] for row in sorted(rows)] == [{page_of_activity[key]} for key in listed]


def link_target_page(reader: pypdf.PdfReader, annotation) -> int:
    destination = annotation.get("/Dest")
    if destination is None:
        destination = annotation["/A"]["/D"]
    if isinstance(destination, (str, bytes)) or not isinstance(destination, list):
        destination = reader.named_destinations[str(destination)]
        return reader.get_destination_page_number(destination) + 1
    return reader.get_page_number(destination[0].get_object()) + 1


def test_lage_i_korthet_counts_the_whole_plan_and_names_what_moved(meeting):
    follow_up, a, admin = meeting
    pages, _reader = pages_of(followup_report_pdf(closed(follow_up, admin))[1])
    brief = section(pages, "Läget i korthet", "Att ta upp")

    assert pages[1].startswith("Läget i korthet")
    assert "11 av 14 rapporterade" in brief
    assert "1 försenad aktivitet" in brief
    assert "0 aktiviteter saknar tidplan" in brief
    assert "Jämfört med version 1: 5 tillagda, 1 genomförda, 1 avbrutna." in brief
    assert f"{a['mentors'].reference_code} Läxhjälp med mentorer" in brief
    assert f"{a['football'].reference_code} Fotbollsturnering" in brief
    assert f"{a['jobs'].reference_code} Sommarjobb för unga" in brief
    assert "Jämfört med uppföljningen 2024: 1 bedömningar blev bättre, 1 blev sämre." in brief
    assert f"{a['walks'].reference_code} Trygghetsvandringar: avvikelse → enligt plan" in brief
    assert f"{a['homework'].reference_code} Läxhjälp på biblioteket: enligt plan → avvikelse" in (
        brief
    )
    # One chart of the whole plan, its numbers also as a table.
    assert re.search(r"Enligt plan 7 Avvikelse 2 Allvarlig avvikelse 2 Ej rapporterad 3", brief)


def test_summary_charts_share_one_scale_across_goals(meeting):
    follow_up, _activities, _admin = meeting
    context = report_context(closed_snapshot(follow_up))
    goal_1, goal_2 = context["goals"]
    bars = {
        (goal.position, category.key): category
        for goal in (goal_1, goal_2)
        for category in goal.assessments
    }
    highest = max(category.count for category in bars.values())
    longest = max(category.width for category in bars.values())
    for category in bars.values():
        assert category.width == round(longest * category.count / highest)
    # Målbild 2's one serious deviation is as long as målbild 1's one, not a full-length bar.
    assert bars[(2, "serious_deviation")].count == bars[(1, "serious_deviation")].count == 1
    assert bars[(2, "serious_deviation")].width == bars[(1, "serious_deviation")].width
    assert bars[(2, "serious_deviation")].width < longest
    # The text alternative names every count.
    assert goal_2.chart_description.startswith("Aktiviteter per bedömning: enligt plan 2,")


def closed_snapshot(follow_up):
    from followup.snapshots import plan_snapshot

    return plan_snapshot(follow_up.plan, follow_up=follow_up)


def test_an_open_rounds_report_says_preliminary_on_every_page_and_a_closed_one_nowhere(
    meeting,
):
    follow_up, _activities, admin = meeting
    name, pdf = followup_report_pdf(follow_up)
    pages, _reader = pages_of(pdf)
    assert name == f"uppfoljning-{follow_up.plan.declaration.slug}-2025-preliminar.pdf"
    assert len(pages) > 4
    assert all(PRELIMINARY in page for page in pages)
    assert PRELIMINARY in pages[0].split("Uppföljningsrapport 2025", 1)[1]  # on the cover too

    name, pdf = followup_report_pdf(closed(follow_up, admin))
    pages, _reader = pages_of(pdf)
    assert name == f"uppfoljning-{follow_up.plan.declaration.slug}-2025.pdf"
    assert not any("Preliminär" in page for page in pages)


def swedish_labels() -> set[str]:
    with translation.override("sv"):
        return {
            str(label).casefold()
            for choices in (ActivityStatus, AssessmentOutcome)
            for _value, label in choices.choices
        } | {"försenad", "kortversion", "läget i korthet", "att ta upp", "målbild", "sida"}


def test_the_english_report_has_no_swedish_label(meeting, client):
    follow_up, _activities, admin = meeting
    follow_up = closed(follow_up, admin)  # its version froze the labels in Swedish
    reader_role(admin)
    client.force_login(admin)
    response = client.get(reverse("followup:round-report", args=[follow_up.pk]) + "?lang=en")

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-2025-en.pdf"')
    pages, reader = pages_of(response.content)
    text = " ".join(pages).casefold()
    found = {label for label in swedish_labels() if re.search(rf"\b{label}\b", text)}
    assert found == set()
    for english in ["On track", "Serious deviation", "Not reported", "Ongoing", "For discussion"]:
        assert english.casefold() in text
    assert "Late: planned end has passed." in " ".join(pages)
    assert reader.trailer["/Root"]["/Lang"] == "en"
    # The page around the PDF stays in the language the user chose: Swedish by default.
    default = client.get(reverse("followup:round-report", args=[follow_up.pk]))
    assert "Uppföljningsrapport 2025" in pages_of(default.content)[0][0]


def test_the_short_version_is_the_cover_the_state_the_discussion_and_the_changes(meeting, client):
    follow_up, a, admin = meeting
    follow_up = closed(follow_up, admin)
    reader_role(admin)
    client.force_login(admin)
    url = reverse("followup:round-report", args=[follow_up.pk])
    full = client.get(url)
    short = client.get(url + "?short=1")

    assert short["Content-Disposition"].endswith('-2025-kortversion.pdf"')
    pages, reader = pages_of(short.content)
    full_pages, _reader = pages_of(full.content)
    assert len(pages) < len(full_pages)
    text = " ".join(pages)
    assert "Kortversion" in pages[0]
    for heading in ["Läget i korthet", "Att ta upp", "Förändringar sedan förra versionen"]:
        assert heading in text
    assert "Sammanfattning per målbild" not in text
    assert "Strategi 1.1" not in text
    assert "Vad som har gjorts" not in text
    assert f"{a['preschool'].reference_code} Öppen förskola" in text  # in Att ta upp
    assert reader.metadata.title.startswith("Uppföljningsrapport 2025, kortversion")


def test_the_round_page_offers_the_short_and_the_english_report(meeting, client):
    follow_up, _activities, admin = meeting
    reader_role(admin)
    client.force_login(admin)
    page = client.get(reverse("followup:round-detail", args=[follow_up.pk])).content.decode()
    url = reverse("followup:round-report", args=[follow_up.pk])
    assert "Rapporten till uppföljningsmötet (PDF, preliminär)" in page
    assert f'href="{url}?short=1">Kortversion (PDF)' in page
    assert f'href="{url}?lang=en" hreflang="en">På engelska (PDF)' in page


def structure(reader: pypdf.PdfReader):
    """(tag, attributes) of every element of the PDF's structure tree, in reading order."""

    def walk(node):
        node = node.get_object()
        if isinstance(node, pypdf.generic.DictionaryObject):
            if "/S" in node:
                yield node["/S"], node
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, pypdf.generic.ArrayObject) else [kids]:
                    yield from walk(kid)

    return list(walk(reader.trailer["/Root"]["/StructTreeRoot"]))


@pytest.mark.parametrize("document", ["round", "plan"])
def test_the_pdfs_are_tagged_for_a_screen_reader(meeting, document):
    follow_up, _activities, admin = meeting
    follow_up = closed(follow_up, admin)
    cache.clear()
    if document == "round":
        _name, pdf = followup_report_pdf(follow_up)
    else:
        _name, pdf = plan_report_pdf(follow_up.plan)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]

    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert root["/Lang"] == "sv"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    assert reader.metadata.title
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    elements = structure(reader)
    tags = [tag for tag, _node in elements]
    headings = [int(tag[2]) for tag in tags if re.fullmatch(r"/H[1-6]", tag)]
    assert headings[0] == 1
    # No heading skips a level on the way down.
    assert all(after <= before + 1 for before, after in itertools.pairwise(headings))
    if document == "round":
        assert tags.count("/Table") >= 3
        assert "/TH" in tags
        header_cells = [node for tag, node in elements if tag == "/TH"]
        assert all(node["/A"]["/O"] == "/Table" and node["/ID"] for node in header_cells)
        # Every data cell names its column's header cell, so a screen reader can say it.
        header_ids = {node["/ID"] for node in header_cells}
        data_cells = [node for tag, node in elements if tag == "/TD"]
        assert data_cells
        assert all(
            node["/A"]["/Headers"] and set(node["/A"]["/Headers"]) <= header_ids
            for node in data_cells
        )
        figures = [node for tag, node in elements if tag == "/Figure"]
        assert len(figures) == 3  # the overview and one per målbild
        assert all(node.get("/Alt") for node in figures)
        assert str(figures[0]["/Alt"]).startswith("Planens alla aktiviteter. Per bedömning:")
        assert "/Link" in tags  # the contents and Att ta upp


def test_the_command_writes_the_short_and_the_english_report(meeting, tmp_path):
    follow_up, _activities, _admin = meeting
    output = tmp_path / "kort.pdf"
    slug = follow_up.plan.declaration.slug

    call_command(
        "followup_report", "--declaration", slug, "--year", "2025", "-o", str(output),
        "--short", "--language", "en",
    )  # fmt: skip

    pages, reader = pages_of(output.read_bytes())
    assert reader.metadata.title.startswith("Follow-up report 2025, short version")
    assert "Preliminary – the follow-up is not closed" in pages[0]
    assert not any("Strategy 1.1" in page for page in pages)


def test_the_short_and_english_reports_are_refused_to_whoever_may_not_see_the_round(
    meeting, client, django_user_model
):
    follow_up, _activities, _admin = meeting
    url = reverse("followup:round-report", args=[follow_up.pk]) + "?short=1&lang=en"

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))

    client.force_login(django_user_model.objects.create_user("utan-roll"))
    refused = client.get(url)
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("text/html")


def test_an_unknown_language_or_edition_gives_the_swedish_full_report(meeting, client):
    follow_up, _activities, admin = meeting
    reader_role(admin)
    client.force_login(admin)
    url = reverse("followup:round-report", args=[follow_up.pk])

    response = client.get(url + "?lang=xx&short=ja")

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-2025-preliminar.pdf"')
    pages, reader = pages_of(response.content)
    assert reader.trailer["/Root"]["/Lang"] == "sv"
    assert any(page.startswith("Sammanfattning per målbild") for page in pages)
