import datetime

import pytest

from strategies.models import IntentDeclaration, Organisation
from tests.factories import ActivityFactory


@pytest.fixture
def declaration(db):
    from django.core.management import call_command as run

    run("loaddata", "klockaretorpet", verbosity=0)
    declaration = IntentDeclaration.objects.get(slug="klockaretorpet")
    plan = declaration.activity_plans.get()
    kommun = Organisation.objects.get(name="Norrköpings kommun")
    strategy = declaration.goals.get(position=1).strategies.get(position=3)
    ActivityFactory(
        plan=plan,
        strategy=strategy,
        title="Trygghetsvandringar",
        lead_organisation=kommun,
        planned_start=datetime.date(2024, 3, 1),
        planned_end=datetime.date(2025, 12, 1),
    )
    return declaration
