"""The demo's follow-up cycle: a closed round with its version and an open one."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from followup.models import FollowUp
from plans.models import PlanStatus

pytestmark = pytest.mark.django_db


def test_seed_demo_followup_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo_followup")
    assert not FollowUp.objects.exists()


def test_the_demo_shows_a_closed_and_an_open_follow_up(settings, client):
    settings.DEBUG = True
    call_command("seed_demo")
    # Again: nothing is added twice.
    call_command("seed_demo")

    year = timezone.localdate().year
    closed, open_ = FollowUp.objects.get(year=year - 1), FollowUp.objects.get(year=year)
    assert not closed.is_open
    assert closed.version.number == 1
    assert closed.reviews.count() == 9
    assert open_.is_open
    assert 0 < open_.reviews.count() < 9
    # Followed up, so adopted: published, its page would show it.
    assert closed.plan.status == PlanStatus.ACTIVE
    client.force_login(get_user_model().objects.get(username="redaktor.kommun"))
    assert client.get(reverse("followup:round-detail", args=[open_.pk])).status_code == 200
