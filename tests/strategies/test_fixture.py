"""The Klockaretorpet fixture carries the seed document's plan, verbatim and idempotently."""

import pytest
from django.core.management import call_command

from plans.models import Activity, ActivityPlan
from strategies.models import (
    District,
    Goal,
    IntentDeclaration,
    Organisation,
    ProgrammeGoal,
    Strategy,
    SuccessFactor,
)

FIXTURE_MODELS = [
    Organisation,
    District,
    ProgrammeGoal,
    SuccessFactor,
    IntentDeclaration,
    Goal,
    Strategy,
    ActivityPlan,
    Activity,
    IntentDeclaration.partners.through,
]

DECLARATION_TEXT_FIELDS = [
    "title",
    "introduction",
    "programme_goals_introduction",
    "background",
    "vision",
    "goals_introduction",
    "implementation",
    "success_factors_introduction",
]


@pytest.fixture
def loaded(db):
    call_command("loaddata", "klockaretorpet", verbosity=0)
    return IntentDeclaration.objects.get(slug="klockaretorpet")


def model_counts():
    return {model._meta.label: model.objects.count() for model in FIXTURE_MODELS}


def test_fixture_loads_the_three_malbilder_with_the_seed_titles_in_order(loaded):
    assert list(loaded.goals.order_by("position").values_list("position", "title")) == [
        (1, "Funktionell och trivsam stadsdel"),
        (2, "En ökad delaktighet i samhället"),
        (3, "Stärkt identitet"),
    ]


def test_fixture_loads_the_eight_strategies_with_the_seed_titles_in_order(loaded):
    strategies = Strategy.objects.filter(goal__declaration=loaded).in_tree_order()

    assert [(s.goal.position, s.position, s.title) for s in strategies] == [
        # 1. Funktionell och trivsam stadsdel
        (1, 1, "Ökad rörelse och sammankoppling"),
        (1, 2, "Verksamheter och funktionsblandning"),
        (1, 3, "Trivsammare yttre miljö"),
        # 2. En ökad delaktighet i samhället
        (2, 1, "Arbetsmarknad och utbildning"),
        (2, 2, "Lokal närvaro"),
        # 3. Stärkt identitet
        (3, 1, "Utveckling av centrum"),
        (3, 2, "Aktiviteter"),
        (3, 3, "Förbättra kopplingar till omgivningen"),
    ]


def test_strategy_with_two_paragraphs_keeps_them_apart_by_one_blank_line(loaded):
    description = Strategy.objects.get_by_natural_key("klockaretorpet", 1, 1).description

    paragraphs = description.split("\n\n")
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("Utveckling behövs för att minska de effekter av barriärer")
    assert paragraphs[1].startswith("Strategin för att uppnå en bättre funktionell stadsdel")


def test_vision_is_the_seed_vision_verbatim(loaded):
    assert loaded.vision == (
        "Klockaretorpet ska utvecklas till en mer socialt hållbar stadsdel som är sammanhållen "
        "med resten av staden. En välmående stadsdel med flera kvaliteter och med "
        "bostadsområden som upplevs valbara för alla."
    )


def test_declaration_texts_have_no_markdown_or_line_break_artefacts(loaded):
    for field in DECLARATION_TEXT_FIELDS:
        text = getattr(loaded, field)
        assert text, field
        assert text == text.strip(), field
        assert "*" not in text, field
        assert "\n\n\n" not in text, field
        assert " \n" not in text, field


def test_loading_the_fixture_twice_changes_nothing(loaded):
    counts_after_first_load = model_counts()
    texts_after_first_load = {field: getattr(loaded, field) for field in DECLARATION_TEXT_FIELDS}

    call_command("loaddata", "klockaretorpet", verbosity=0)

    assert model_counts() == counts_after_first_load
    assert counts_after_first_load == {
        "strategies.Organisation": 2,
        "strategies.District": 1,
        "strategies.ProgrammeGoal": 3,
        "strategies.SuccessFactor": 3,
        "strategies.IntentDeclaration": 1,
        "strategies.Goal": 3,
        "strategies.Strategy": 8,
        "plans.ActivityPlan": 1,
        "plans.Activity": 4,
        "strategies.IntentDeclaration_partners": 2,
    }
    reloaded = IntentDeclaration.objects.get(slug="klockaretorpet")
    assert {field: getattr(reloaded, field) for field in DECLARATION_TEXT_FIELDS} == (
        texts_after_first_load
    )


def test_example_activities_sit_under_their_strategies_with_reference_codes(loaded):
    activities = Activity.objects.filter(plan__declaration=loaded).in_code_order()

    assert [(a.reference_code, a.strategy.number) for a in activities] == [
        ("1.1.1", "1.1"),
        ("1.2.1", "1.2"),
        ("3.1.1", "3.1"),
        ("3.2.1", "3.2"),
    ]
    assert [(a.code_prefix, a.code_serial) for a in activities] == [
        ("1.1", 1),
        ("1.2", 1),
        ("3.1", 1),
        ("3.2", 1),
    ]
    assert [a.title for a in activities] == [
        "Fysiska åtgärder för att överbrygga spårvägens barriäreffekt och stärka orienterbarheten",
        "Utreda hur och var bebyggelsen kan kompletteras och funktioner tillföras stadsdelen",
        "Öka tryggheten i centrum genom färg- och ljussättning",
        "Vidareutveckla de plattformar för kunskap, idrott och föreningsliv som nu finns",
    ]


def test_example_activities_have_no_invented_schedule_responsibility_measure_or_type(loaded):
    assert Activity.objects.incomplete().count() == 4
    for activity in Activity.objects.all():
        assert activity.planned_start is None
        assert activity.planned_end is None
        assert activity.schedule_note == ""
        assert activity.lead_organisation is None
        assert activity.responsible_unit == ""
        assert activity.measurability == ""
        assert activity.activity_type == ""
        assert not activity.co_organisations.exists()
        assert not activity.indicators.exists()


def test_the_activity_plan_is_an_open_ended_draft_from_2022(loaded):
    plan = ActivityPlan.objects.get_by_natural_key(
        "klockaretorpet", "Aktivitetsplan Klockaretorpet"
    )

    assert plan.status == "draft"
    assert plan.start_year == 2022
    assert plan.end_year is None


def test_the_next_activity_code_continues_after_the_fixture_codes(loaded):
    plan = ActivityPlan.objects.get(declaration=loaded)
    strategy = Strategy.objects.get_by_natural_key("klockaretorpet", 1, 1)

    activity = Activity.objects.create(plan=plan, strategy=strategy, title="Ny aktivitet")

    assert activity.reference_code == "1.1.2"


def test_declaration_partners_are_the_municipality_and_hyresbostader(loaded):
    assert sorted(loaded.partners.values_list("name", flat=True)) == [
        "Hyresbostäder i Norrköping",
        "Norrköpings kommun",
    ]
    assert loaded.district.name == "Klockaretorpet"
    assert "drygt 5800 invånare (2020)" in loaded.district.description


def test_success_factors_have_the_seed_titles_and_opening_words(loaded):
    factors = list(SuccessFactor.objects.order_by("position"))

    assert [factor.title for factor in factors] == [
        "Boendekraft",
        "Kommunikation",
        "Brottsprevention",
    ]
    assert factors[0].description.startswith("För att bedriva ett framgångsrikt utvecklingsarbete")
    assert factors[1].description.startswith(
        "Att lyckas med en positionering (identitet) av en stadsdel"
    )
    assert factors[2].description.startswith("Begreppet trygghet har i årtionden varit")


def test_programme_goals_have_the_seed_titles(loaded):
    assert list(ProgrammeGoal.objects.order_by("position").values_list("title", flat=True)) == [
        "Utjämna ojämlikheter",
        "Öka tryggheten",
        "Inga stads/kommundelar på polisens lista över utsatta områden",
    ]
