"""Two writers on one plan at once: imports and new activities run one after the other.

Each writer has a thread and a database connection of its own. On SQLite one writer holds the
whole database anyway, so the simultaneous cases run on PostgreSQL only; the sequential twins
check on any database what the second of two identical imports does.
"""

import datetime
import threading
import time
from collections.abc import Callable
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from import_export.instance_loaders import CachedInstanceLoader

from followup.models import ActivityReview, Assessment, FollowUp
from followup.resources import ReviewResource
from plans.models import Activity, ActivityCodeSequence, ActivityStatus
from strategies.models import IntentDeclaration
from tests.factories import ActivityFactory, GoalFactory, PlanFactory, StrategyFactory
from tests.followup.test_resources import exported, fill
from tests.followup.test_resources import run_import as run_round_import
from tests.plans.test_import import columns, exported_sheet, row_of, run_import

pytestmark = pytest.mark.django_db(transaction=True)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lets one writer at a time into the database, so two writers never overlap",
)

# Long enough for the other thread to catch up, short enough to keep the tests quick.
PAUSE = 0.5
TIMEOUT = 30


def together(*calls: Callable[[], object]) -> list[object]:
    """Run every call in a thread (and so a database connection) of its own, all released at
    the same moment; their results in order. An exception in a thread is raised here."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(TIMEOUT)
            results[index] = call()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a writer is still waiting"
    if errors:
        raise errors[0]
    return results


def one_after_the_other(*calls: Callable[[], object]) -> list[object]:
    return [call() for call in calls]


RUNNERS = [
    pytest.param(together, id="together", marks=on_postgresql),
    pytest.param(one_after_the_other, id="one-after-the-other"),
]


def pause_after(owner: type, name: str, then: Callable[[], None] = lambda: None):
    """Make a writer pause after `owner.name` has read the plan and before it writes, so that
    without a lock a second writer reads the same, unwritten state."""
    original = getattr(owner, name)

    def read_then_pause(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        then()
        time.sleep(PAUSE)
        return result

    return mock.patch.object(owner, name, read_then_pause)


def slow_reader(then: Callable[[], None] = lambda: None):
    """The activity import reads the plan's activities when its instance loader is made."""
    return pause_after(CachedInstanceLoader, "__init__", then)


@pytest.fixture
def declaration():
    call_command("loaddata", "klockaretorpet", verbosity=0)
    # As if the plan was exported an hour ago: a row the first import changes is then newer
    # than the file for the second, however quickly the two run.
    Activity.objects.update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    return IntentDeclaration.objects.get(slug="klockaretorpet")


@pytest.fixture
def importers(django_user_model):
    return [
        django_user_model.objects.create_user(username, first_name=name, last_name="Test")
        for username, name in [("anna", "Anna"), ("bo", "Bo")]
    ]


@pytest.fixture
def admins(django_user_model):
    return [
        django_user_model.objects.create_superuser(username, password="ett-långt-lösenord")
        for username in ("cecilia", "david")
    ]


@pytest.fixture
def two_admins(admins):
    clients = [Client(), Client()]
    for client, user in zip(clients, admins, strict=True):
        client.force_login(user)
    return clients


def add_rows(sheet, rows: list[tuple[str, str, str]]) -> None:
    col = columns(sheet)
    for code, strategy, title in rows:
        row = sheet.max_row + 1
        sheet.cell(row, col["Referenskod"]).value = code or None
        sheet.cell(row, col["Strategi"]).value = strategy
        sheet.cell(row, col["Aktivitet"]).value = title
        sheet.cell(row, col["Status"]).value = "planerad"


def codes_of(plan) -> list[str]:
    return list(plan.activities.in_code_order().values_list("reference_code", flat=True))


@pytest.mark.parametrize("run", RUNNERS)
def test_two_imports_of_new_rows_both_apply_and_coded_rows_only_once(run, declaration, importers):
    plan = declaration.activity_plans.get()
    workbook = exported_sheet(declaration)
    # The first row with a code of its own, then two without: each import adds those two.
    add_rows(
        workbook.active,
        [("2.2.4", "2.2", "Läxhjälp"), ("", "2.2", "Boklåda"), ("", "2.2", "Sagostund")],
    )
    activities_before, history_before = plan.activities.count(), Activity.history.count()

    with slow_reader():
        outcomes = run(
            *(lambda user=user: run_import(declaration, workbook, user) for user in importers)
        )

    assert [outcome.problems for outcome in outcomes] == [[], []]
    assert sorted(outcome.counts["new"] for outcome in outcomes) == [2, 3]
    assert codes_of(plan) == [
        "1.1.1",
        "1.2.1",
        "2.2.4",
        "2.2.5",
        "2.2.6",
        "2.2.7",
        "2.2.8",
        "3.1.1",
        "3.2.1",
    ]
    assert plan.activities.count() == activities_before + 5
    assert plan.activities.filter(title="Läxhjälp").count() == 1
    assert plan.activities.filter(title="Boklåda").count() == 2
    assert Activity.history.count() == history_before + 5
    assert ActivityCodeSequence.objects.get(plan=plan, prefix="2.2").last_serial == 8


@pytest.mark.parametrize("run", RUNNERS)
def test_the_second_of_two_imports_changing_a_row_is_refused_whole(run, declaration, importers):
    plan = declaration.activity_plans.get()
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    sheet.cell(row_of(sheet, "1.1.1"), columns(sheet)["Aktivitet"]).value = "Ny rubrik"
    add_rows(sheet, [("", "2.2", "Boklåda"), ("3.3.2", "3.3", "Skyltning")])
    activities_before, history_before = plan.activities.count(), Activity.history.count()

    with slow_reader():
        outcomes = run(
            *(lambda user=user: run_import(declaration, workbook, user) for user in importers)
        )

    applied, refused = sorted(outcomes, key=lambda outcome: not outcome.ok)
    assert applied.ok
    assert applied.counts == {"new": 2, "changed": 1, "unchanged": 3, "invalid": 0}
    assert len(refused.problems) == 1
    assert "Aktivitet 1.1.1 har ändrats av" in refused.problems[0]
    assert "efter att filen exporterades" in refused.problems[0]
    assert codes_of(plan) == ["1.1.1", "1.2.1", "2.2.1", "3.1.1", "3.2.1", "3.3.2"]
    assert plan.activities.count() == activities_before + 2
    assert Activity.objects.get(reference_code="1.1.1").title == "Ny rubrik"
    new_records = Activity.history.exclude(history_user=None)
    assert new_records.count() == Activity.history.count() - history_before == 3
    # Every record written is the applied import's; the refused one left none.
    (writer,) = {record.history_user for record in new_records}
    assert writer.first_name in refused.problems[0]


@pytest.mark.parametrize("run", RUNNERS)
def test_two_imports_of_one_round_sheet_save_each_report_once(run, declaration, admins):
    plan = declaration.activity_plans.get()
    follow_up = FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))
    workbook = exported(follow_up)
    for code in ("1.1.1", "3.2.1"):
        fill(
            workbook.active,
            code,
            assessment=str(Assessment.ON_TRACK.label),
            done="Klart.",
            new_status=str(ActivityStatus.ONGOING.label),
        )
    reviews_before, activities_before = ActivityReview.history.count(), Activity.history.count()

    # The round import reads the plan's activities and reports in `_load`.
    with pause_after(ReviewResource, "_load"):
        outcomes = run(
            *(lambda user=user: run_round_import(follow_up, workbook, user) for user in admins)
        )

    assert [outcome.problems for outcome in outcomes] == [[], []]
    assert sorted((outcome.counts["new"], outcome.counts["unchanged"]) for outcome in outcomes) == [
        (0, 2),
        (2, 0),
    ]
    assert ActivityReview.objects.filter(follow_up=follow_up).count() == 2
    assert ActivityReview.history.count() == reviews_before + 2
    # The reported status is written once per activity.
    assert Activity.history.count() == activities_before + 2


def add_form(plan, strategy, title: str) -> dict:
    return {
        "plan": plan.pk,
        "strategy": strategy.pk,
        "title": title,
        "status": ActivityStatus.PLANNED,
        "version": 1,
        "indicators-TOTAL_FORMS": "0",
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
    }


def meet_before_code_assignment():
    """Hold each writer just before its code is drawn until the other is there too."""
    barrier = threading.Barrier(2)
    original = ActivityCodeSequence.next_code

    def meet_then_draw(**kwargs):
        barrier.wait(TIMEOUT)
        return original(**kwargs)

    return mock.patch.object(ActivityCodeSequence, "next_code", meet_then_draw)


@on_postgresql
@pytest.mark.parametrize("first_under_strategy", [False, True], ids=["next", "first-ever"])
def test_two_admins_adding_to_one_strategy_get_consecutive_codes(two_admins, first_under_strategy):
    plan = PlanFactory()
    strategy = StrategyFactory(goal=GoalFactory(declaration=plan.declaration))
    if not first_under_strategy:
        ActivityFactory(plan=plan, strategy=strategy)
    url = reverse("admin:plans_activity_add")

    with meet_before_code_assignment():
        responses = together(
            *(
                lambda client=client, title=title: client.post(url, add_form(plan, strategy, title))
                for client, title in zip(two_admins, ["Cecilias", "Davids"], strict=True)
            )
        )

    assert [response.status_code for response in responses] == [302, 302]
    first = 1 if first_under_strategy else 2
    added = plan.activities.filter(title__in=["Cecilias", "Davids"])
    assert sorted(added.values_list("code_serial", flat=True)) == [first, first + 1]
    assert ActivityCodeSequence.objects.get(plan=plan, prefix=strategy.number).last_serial == (
        first + 1
    )


@on_postgresql
def test_an_activity_added_while_an_import_runs_gets_the_next_free_code(
    declaration, importers, two_admins
):
    plan = declaration.activity_plans.get()
    strategy = declaration.goals.get(position=2).strategies.get(position=2)
    workbook = exported_sheet(declaration)
    add_rows(workbook.active, [("2.2.1", "2.2", "Läxhjälp")])
    import_has_read, admin_draws_code = threading.Event(), threading.Event()
    original_next_code = ActivityCodeSequence.next_code

    def draw_code(**kwargs):
        admin_draws_code.set()
        return original_next_code(**kwargs)

    def add_once_the_import_has_read():
        assert import_has_read.wait(TIMEOUT)
        return two_admins[0].post(
            reverse("admin:plans_activity_add"), add_form(plan, strategy, "Från admin")
        )

    def import_has_read_the_plan():
        # The import writes its rows only once the admin is drawing a code.
        import_has_read.set()
        assert admin_draws_code.wait(TIMEOUT)

    with (
        slow_reader(then=import_has_read_the_plan),
        mock.patch.object(ActivityCodeSequence, "next_code", draw_code),
    ):
        outcome, response = together(
            lambda: run_import(declaration, workbook, importers[0]),
            add_once_the_import_has_read,
        )

    assert outcome.ok, outcome.problems
    assert response.status_code == 302
    assert plan.activities.get(reference_code="2.2.1").title == "Läxhjälp"
    assert plan.activities.get(reference_code="2.2.2").title == "Från admin"
