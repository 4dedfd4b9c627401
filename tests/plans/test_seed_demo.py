import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from plans.models import Activity

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo", stdout=None)
    assert not get_user_model().objects.exists()


def test_seed_demo_adds_logins_and_labelled_examples_once(settings, client, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    printed = capsys.readouterr().out

    examples = Activity.objects.filter(title__startswith="Exempel:")
    assert examples.count() == 9
    assert all("Illustrativt exempel" in example.description for example in examples)
    seeded = Activity.objects.exclude(title__startswith="Exempel:")
    assert seeded.count() == 4
    assert seeded.incomplete().count() == 4, "the plan's own activities stay untouched"
    assert "demo-klockaretorpet" in printed
    # What the printout says of the admin is what the admin site decides: the role.
    where = {line.split()[0]: line.rsplit("(", 1)[1] for line in printed.splitlines()[-4:]}
    assert where == {
        "planadmin": "portal + admin)",
        "redaktor.hyresbostader": "portal + admin)",
        "redaktor.kommun": "portal + admin)",
        "lasare": "portal)",
    }
    for username in ["planadmin", "redaktor.hyresbostader", "redaktor.kommun", "lasare"]:
        assert username in printed
        response = client.post(
            reverse("login"), {"username": username, "password": "demo-klockaretorpet"}
        )
        assert response.status_code == 302, username
    # The oldest record: who created it (the demo follow-up reports change statuses since)
    edited = examples.first().history.last()
    assert edited.history_user.username == "redaktor.hyresbostader"
