import datetime

import pytest

from strategies.models import IntentDeclaration, Organisation
from tests.factories import ActivityFactory, IndicatorFactory


@pytest.fixture
def declaration(db):
    from django.core.management import call_command as run

    run("loaddata", "klockaretorpet", verbosity=0)
    declaration = IntentDeclaration.objects.get(slug="klockaretorpet")
    plan = declaration.activity_plans.get()
    kommun = Organisation.objects.get(name="Norrköpings kommun")
    strategy = declaration.goals.get(position=1).strategies.get(position=3)
    activity = ActivityFactory(
        plan=plan,
        strategy=strategy,
        title="Trygghetsvandringar",
        lead_organisation=kommun,
        planned_start=datetime.date(2024, 3, 1),
        planned_end=datetime.date(2025, 12, 1),
    )
    IndicatorFactory(
        activity=activity,
        name="Trygga boende",
        unit="%",
        baseline_value="58.5",
        baseline_year=2022,
        target_value="1500",
        target_year=None,
    )
    return declaration
