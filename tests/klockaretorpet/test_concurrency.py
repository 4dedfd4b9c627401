"""Lost updates are impossible: a save from a stale form is refused and writes nothing."""

import re
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from klockaretorpet.concurrency import StaleObjectError
from plans.models import Activity
from strategies.models import Goal, Strategy
from tests.factories import ActivityFactory, StrategyFactory
from tests.plans.test_admin import activity_form_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_admins(django_user_model):
    clients = []
    for username, first_name in [("anna", "Anna"), ("bo", "Bo")]:
        user = django_user_model.objects.create_superuser(
            username, password="ett-långt-lösenord", first_name=first_name, last_name="Test"
        )
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


@pytest.fixture
def world_editor(django_user_model):
    """An editor without *Personalstatus* and an activity their organisation leads."""
    from django.contrib.auth.models import Group

    from strategies.models import Membership
    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory(name="Hyresbostäder")
    user = django_user_model.objects.create_user("redaktor", first_name="Rut", last_name="Red")
    user.groups.add(Group.objects.get_or_create(name="Redaktör")[0])
    Membership.objects.create(user=user, organisation=organisation)
    client = Client()
    client.force_login(user)
    return client, ActivityFactory(title="Ursprunglig rubrik", lead_organisation=organisation)


def opened_version(response) -> int:
    return response.context["adminform"].form["version"].value()


def test_second_admin_save_from_a_stale_form_is_refused(two_admins):
    anna, bo = two_admins
    activity = ActivityFactory(title="Ursprunglig rubrik")
    url = reverse("admin:plans_activity_change", args=[activity.pk])
    annas_version = opened_version(anna.get(url))
    bos_version = opened_version(bo.get(url))
    history_before = activity.history.count()

    first = anna.post(
        url, activity_form_data(activity, title="Annas rubrik", version=annas_version)
    )
    second = bo.post(url, activity_form_data(activity, title="Bos rubrik", version=bos_version))

    assert first.status_code == 302
    assert second.status_code == 200
    page = second.content.decode()
    assert "har ändrats av Anna Test kl." in page
    assert "sedan du öppnade den" in page
    activity.refresh_from_db()
    assert activity.title == "Annas rubrik"
    assert activity.history.count() == history_before + 1


def test_race_between_validation_and_save_is_refused_too(two_admins):
    anna, bo = two_admins
    activity = ActivityFactory(title="Ursprunglig rubrik")
    url = reverse("admin:plans_activity_change", args=[activity.pk])
    stale_version = opened_version(bo.get(url))
    anna.post(url, activity_form_data(activity, title="Annas rubrik", version=stale_version))
    history_before = activity.history.count()

    # As if Anna's save landed after Bo's form passed validation.
    with mock.patch.object(Activity, "is_stale", return_value=False):
        response = bo.post(
            url, activity_form_data(activity, title="Bos rubrik", version=stale_version)
        )

    assert response.status_code == 302
    assert "sedan du öppnade den" in bo.get(response.url).content.decode()
    activity.refresh_from_db()
    assert activity.title == "Annas rubrik"
    assert activity.history.count() == history_before


def test_model_save_of_a_stale_copy_raises_and_writes_no_history():
    activity = ActivityFactory()
    first, second = Activity.objects.get(pk=activity.pk), Activity.objects.get(pk=activity.pk)
    first.title = "Först"
    first.save()
    history_before = activity.history.count()

    second.title = "Sist"
    with pytest.raises(StaleObjectError):
        second.save()

    assert Activity.objects.get(pk=activity.pk).title == "Först"
    assert activity.history.count() == history_before


def test_stale_strategy_inline_under_a_goal_is_refused(two_admins):
    anna, bo = two_admins
    strategy = StrategyFactory(title="Gammal strategi")
    goal = strategy.goal
    url = reverse("admin:strategies_goal_change", args=[goal.pk])

    def goal_form(response, strategy_title):
        form = response.context["adminform"].form
        inline = response.context["inline_admin_formsets"][0].formset
        data = {
            "declaration": goal.declaration_id,
            "position": goal.position,
            "title": goal.title,
            "description": goal.description,
            "version": form["version"].value(),
            "strategies-TOTAL_FORMS": "1",
            "strategies-INITIAL_FORMS": "1",
            "strategies-MIN_NUM_FORMS": "0",
            "strategies-MAX_NUM_FORMS": "1000",
            "strategies-0-id": strategy.pk,
            "strategies-0-goal": goal.pk,
            "strategies-0-position": strategy.position,
            "strategies-0-title": strategy_title,
            "strategies-0-description": "",
            "strategies-0-version": inline.forms[0]["version"].value(),
        }
        return data

    annas_form = goal_form(anna.get(url), "Annas strategi")
    bos_form = goal_form(bo.get(url), "Bos strategi")

    assert anna.post(url, annas_form).status_code == 302
    refused = bo.post(url, bos_form)

    assert refused.status_code == 200
    assert "sedan du öppnade den" in refused.content.decode()
    assert Strategy.objects.get(pk=strategy.pk).title == "Annas strategi"
    assert Goal.objects.get(pk=goal.pk).version == annas_form["version"] + 1


def test_an_editor_on_a_stale_form_is_refused_as_an_administrator_is(two_admins, world_editor):
    """The one editing form guards an editor's save as it guards an administrator's."""
    anna, _bo = two_admins
    editor, activity = world_editor
    url = reverse("admin:plans_activity_change", args=[activity.pk])
    editors_version = opened_version(editor.get(url))
    annas_version = opened_version(anna.get(url))
    history_before = activity.history.count()

    saved = anna.post(
        url, activity_form_data(activity, title="Annas rubrik", version=annas_version)
    )
    refused = editor.post(
        url, activity_form_data(activity, title="Redaktörens rubrik", version=editors_version)
    )

    assert saved.status_code == 302
    assert refused.status_code == 200
    page = refused.content.decode()
    assert re.search(r"har ändrats av Anna Test kl\. \d{1,2}:\d{2}", page)
    assert "sedan du öppnade den" in page
    assert Activity.objects.get(pk=activity.pk).title == "Annas rubrik"
    assert activity.history.count() == history_before + 1
