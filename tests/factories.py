import datetime

import factory

from plans.models import Activity, ActivityPlan, ActivityStatus, ActivityType, Indicator
from strategies.models import District, Goal, IntentDeclaration, Organisation, Strategy


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Stadsdel {n}")
    slug = factory.Sequence(lambda n: f"stadsdel-{n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Organisation {n}")
    short_name = factory.Sequence(lambda n: f"Org{n}")


class DeclarationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntentDeclaration

    district = factory.SubFactory(DistrictFactory)
    slug = factory.Sequence(lambda n: f"avsiktsforklaring-{n}")
    title = factory.Sequence(lambda n: f"Avsiktsförklaring {n}")
    adopted_on = datetime.date(2022, 2, 1)
    vision = "En stadsdel där alla trivs."


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    declaration = factory.SubFactory(DeclarationFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Målbild {n}")


class StrategyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strategy

    goal = factory.SubFactory(GoalFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Strategi {n}")


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityPlan

    declaration = factory.SubFactory(DeclarationFactory)
    name = factory.Sequence(lambda n: f"Aktivitetsplan {n}")
    start_year = 2023
    end_year = 2026


class ActivityFactory(factory.django.DjangoModelFactory):
    """A complete activity: schedule, responsibility, measurability and type all present."""

    class Meta:
        model = Activity
        skip_postgeneration_save = True

    plan = factory.SubFactory(PlanFactory)
    strategy = factory.LazyAttribute(
        lambda activity: StrategyFactory(goal=GoalFactory(declaration=activity.plan.declaration))
    )
    title = factory.Sequence(lambda n: f"Aktivitet {n}")
    activity_type = ActivityType.EXISTING_BUDGET
    status = ActivityStatus.PLANNED
    planned_start = datetime.date(2024, 3, 1)
    planned_end = datetime.date(2025, 12, 1)
    lead_organisation = factory.SubFactory(OrganisationFactory)
    measurability = "Antal genomförda insatser."

    class Params:
        incomplete = factory.Trait(
            activity_type="",
            planned_start=None,
            planned_end=None,
            lead_organisation=None,
            measurability="",
        )


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    activity = factory.SubFactory(ActivityFactory)
    name = factory.Sequence(lambda n: f"Indikator {n}")
    unit = "%"
    baseline_value = 50
    baseline_year = 2023
    target_value = 70
    target_year = 2026
