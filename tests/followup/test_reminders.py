"""Reminders to report a follow-up round: who is reminded about what, and how often."""

import datetime
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone

from followup.models import FollowUp, FollowUpState
from followup.reminders import plan_reminders, send_reminders
from klockaretorpet.permissions import reminded_organisation_ids
from strategies.models import Membership
from tests.factories import ActivityFactory, ActivityReviewFactory, OrganisationFactory, PlanFactory

pytestmark = pytest.mark.django_db


def days_from_today(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def make_user(django_user_model):
    def make(username, *, group, organisation=None, email=None, **fields):
        user = django_user_model.objects.create_user(
            username,
            email=f"{username}@example.se" if email is None else email,
            **fields,
        )
        user.groups.add(Group.objects.get(name=group))
        if organisation is not None:
            Membership.objects.create(user=user, organisation=organisation)
        return user

    return make


@pytest.fixture
def kommun():
    return OrganisationFactory(name="Norrköpings kommun")


@pytest.fixture
def unit(kommun):
    return OrganisationFactory(name="Utbildningskontoret", parent=kommun)


def open_round(plan, *, deadline_in: int, year: int = 2025) -> FollowUp:
    return FollowUp.objects.create(plan=plan, year=year, deadline=days_from_today(deadline_in))


def report(follow_up, activity):
    ActivityReviewFactory(follow_up=follow_up, activity=activity, done="x")


def run(*args) -> str:
    out = StringIO()
    call_command("send_followup_reminders", *args, stdout=out)
    return out.getvalue()


def test_only_unreported_activities_of_open_rounds_due_soon_are_reminded(
    mailoutbox, make_user, unit
):
    make_user("redaktor", group="Redaktör", organisation=unit)
    near_plan, passed_plan, far_plan, closed_plan = PlanFactory.create_batch(4)
    near = open_round(near_plan, deadline_in=10)
    unreported = ActivityFactory(plan=near_plan, lead_organisation=unit, title="Läxhjälp")
    reported = ActivityFactory(plan=near_plan, lead_organisation=unit, title="Nattvandring")
    report(near, reported)
    open_round(passed_plan, deadline_in=-30)
    overdue = ActivityFactory(plan=passed_plan, lead_organisation=unit, title="Fritidsgård")
    open_round(far_plan, deadline_in=15)
    far = ActivityFactory(plan=far_plan, lead_organisation=unit, title="Trygghetsvandring")
    closed = open_round(closed_plan, deadline_in=-1)
    in_closed = ActivityFactory(plan=closed_plan, lead_organisation=unit, title="Städdag")
    FollowUp.objects.filter(pk=closed.pk).update(state=FollowUpState.CLOSED)

    run()

    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert f"{unreported.reference_code} Läxhjälp" in body
    assert f"{overdue.reference_code} Fritidsgård" in body
    assert near_plan.name in body
    assert passed_plan.name in body
    for left_out in (reported, far, in_closed):
        assert left_out.title not in body
    assert far_plan.name not in body
    assert closed_plan.name not in body


def test_days_option_widens_the_window(mailoutbox, make_user, unit):
    make_user("redaktor", group="Redaktör", organisation=unit)
    plan = PlanFactory()
    open_round(plan, deadline_in=20)
    activity = ActivityFactory(plan=plan, lead_organisation=unit)

    run("--days", "20")

    assert len(mailoutbox) == 1
    assert activity.title in mailoutbox[0].body


def test_editor_of_the_parent_organisation_gets_the_units_activities(
    mailoutbox, make_user, kommun, unit
):
    make_user("kommun", group="Redaktör", organisation=kommun)
    make_user("kontoret", group="Redaktör", organisation=unit)
    make_user("annan", group="Redaktör", organisation=OrganisationFactory())
    plan = PlanFactory()
    open_round(plan, deadline_in=3)
    activity = ActivityFactory(plan=plan, lead_organisation=unit)

    run()

    assert sorted(to for message in mailoutbox for to in message.to) == [
        "kommun@example.se",
        "kontoret@example.se",
    ]
    assert all(activity.title in message.body for message in mailoutbox)


def test_an_editor_of_a_unit_is_not_reminded_about_the_parents_activities(
    mailoutbox, make_user, kommun, unit
):
    make_user("kontoret", group="Redaktör", organisation=unit)
    make_user("admin", group="Planadministratör")
    plan = PlanFactory()
    open_round(plan, deadline_in=3)
    ActivityFactory(plan=plan, lead_organisation=kommun)

    run()

    # Nobody at the kommun itself, so the plan administrator is told instead.
    assert [message.to for message in mailoutbox] == [["admin@example.se"]]


def test_one_mail_per_recipient_across_activities_and_rounds(mailoutbox, make_user, unit):
    make_user("redaktor", group="Redaktör", organisation=unit)
    first_plan, second_plan = PlanFactory.create_batch(2)
    open_round(first_plan, deadline_in=5)
    open_round(second_plan, deadline_in=-2)
    activities = [
        *ActivityFactory.create_batch(3, plan=first_plan, lead_organisation=unit),
        *ActivityFactory.create_batch(2, plan=second_plan, lead_organisation=unit),
    ]

    planned = plan_reminders()
    run()

    assert (len(planned.reminders), planned.activity_count) == (1, 5)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["redaktor@example.se"]
    for activity in activities:
        assert f"{activity.reference_code} {activity.title}" in mailoutbox[0].body


def test_accounts_sharing_an_address_get_one_mail(mailoutbox, make_user, kommun, unit):
    make_user("kommun", group="Redaktör", organisation=kommun, email="samverkan@example.se")
    make_user("kontoret", group="Redaktör", organisation=unit, email="Samverkan@example.se")
    plan = PlanFactory()
    open_round(plan, deadline_in=0)
    ActivityFactory(plan=plan, lead_organisation=unit)

    run()

    assert len(mailoutbox) == 1


def test_activities_without_lead_organisation_go_to_plan_admins(mailoutbox, make_user, unit):
    make_user("admin", group="Planadministratör")
    make_user("vilande", group="Planadministratör", is_active=False)
    make_user("redaktor", group="Redaktör", organisation=unit)
    plan = PlanFactory()
    open_round(plan, deadline_in=7)
    orphan = ActivityFactory(plan=plan, lead_organisation=None, title="Utan ansvarig")
    owned = ActivityFactory(plan=plan, lead_organisation=unit, title="Med ansvarig")

    run()

    by_recipient = {message.to[0]: message.body for message in mailoutbox}
    assert set(by_recipient) == {"admin@example.se", "redaktor@example.se"}
    assert f"{orphan.reference_code} Utan ansvarig" in by_recipient["admin@example.se"]
    assert "Med ansvarig" not in by_recipient["admin@example.se"]
    assert f"{owned.reference_code} Med ansvarig" in by_recipient["redaktor@example.se"]
    assert "Utan ansvarig" not in by_recipient["redaktor@example.se"]


def test_users_without_email_are_listed_as_skipped(mailoutbox, make_user, unit):
    make_user("utanadress", group="Redaktör", organisation=unit, email="")
    make_user("admin", group="Planadministratör")
    plan = PlanFactory()
    open_round(plan, deadline_in=1)
    activity = ActivityFactory(plan=plan, lead_organisation=unit)

    output = run()

    assert "utanadress" in output
    # The only contact cannot be mailed, so the activity is not dropped silently.
    assert [message.to for message in mailoutbox] == [["admin@example.se"]]
    assert activity.title in mailoutbox[0].body


def test_readers_and_inactive_editors_are_not_contacts(mailoutbox, make_user, unit):
    make_user("lasare", group="Läsare", organisation=unit)
    make_user("slutat", group="Redaktör", organisation=unit, is_active=False)
    plan = PlanFactory()
    open_round(plan, deadline_in=1)
    activity = ActivityFactory(plan=plan, lead_organisation=unit)

    output = run()

    assert mailoutbox == []
    assert activity.reference_code in output  # reported as nobody to remind


def test_dry_run_sends_nothing_and_prints_the_recipients(mailoutbox, make_user, unit):
    make_user("redaktor", group="Redaktör", organisation=unit)
    plan = PlanFactory()
    open_round(plan, deadline_in=2)
    activity = ActivityFactory(plan=plan, lead_organisation=unit)

    output = run("--dry-run")

    assert mailoutbox == []
    assert "redaktor@example.se" in output
    assert f"{activity.reference_code} {activity.title}" in output


def test_nothing_due_exits_quietly(mailoutbox, make_user, unit):
    make_user("redaktor", group="Redaktör", organisation=unit)
    plan = PlanFactory()
    open_round(plan, deadline_in=30)
    ActivityFactory(plan=plan, lead_organisation=unit)

    output = run()

    assert mailoutbox == []
    assert output.strip()


def test_negative_days_is_refused():
    with pytest.raises(CommandError):
        run("--days", "-1")


def test_mail_has_sender_portal_link_and_localised_deadline(mailoutbox, make_user, unit, settings):
    settings.PORTAL_BASE_URL = "https://plan.example.se"
    settings.DEFAULT_FROM_EMAIL = "portal@example.se"
    make_user("redaktor", group="Redaktör", organisation=unit)
    plan = PlanFactory()
    follow_up = FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))
    ActivityFactory(plan=plan, lead_organisation=unit)

    plan_run = plan_reminders(today=datetime.date(2026, 1, 20))

    assert send_reminders(plan_run) == 1
    message = mailoutbox[0]
    assert message.from_email == "portal@example.se"
    assert "https://plan.example.se/" in message.body
    assert "31 januari 2026" in message.body
    assert str(follow_up.year) in message.body


def test_the_lead_organisation_and_those_above_it_are_reminded_and_a_cycle_ends():
    led_by_unit = SimpleNamespace(lead_organisation_id=3)

    assert reminded_organisation_ids(led_by_unit, {3: 2, 2: 1, 1: None}) == [3, 2, 1]
    assert reminded_organisation_ids(led_by_unit, {3: 2, 2: 3}) == [3, 2]
    assert reminded_organisation_ids(SimpleNamespace(lead_organisation_id=None), {}) == []
