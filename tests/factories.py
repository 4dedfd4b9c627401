import datetime
from decimal import Decimal

import factory

from followup.models import ActivityReview, Assessment, FollowUp, IndicatorValue
from followup.rounds import save_review
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


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    plan = factory.SubFactory(PlanFactory)
    year = 2025
    deadline = factory.LazyAttribute(lambda round_: datetime.date(round_.year + 1, 1, 31))


class ActivityReviewFactory(factory.django.DjangoModelFactory):
    """An activity's report in a round.

    With `user`, it is saved as the portal saves it (`save_review`: the reporter is recorded, the
    activity takes the reported status, a report already in the round is updated in place).
    `actual_values` maps indicators to values; `every_indicator` gives each of the activity's
    indicators the same value."""

    class Meta:
        model = ActivityReview

    follow_up = factory.SubFactory(FollowUpFactory)
    activity = factory.SubFactory(ActivityFactory)
    assessment = Assessment.ON_TRACK
    done = "Genomfört enligt plan."
    new_status = ActivityStatus.ONGOING

    @classmethod
    def _create(
        cls,
        model_class,
        *args,
        user=None,
        actual_values=None,
        every_indicator: Decimal | None = None,
        **fields,
    ):
        values = dict(actual_values or {})
        if every_indicator is not None:
            values.update(dict.fromkeys(fields["activity"].indicators.all(), every_indicator))
        review = model_class.objects.filter(
            follow_up=fields["follow_up"], activity=fields["activity"]
        ).first() or model_class(follow_up=fields["follow_up"], activity=fields["activity"])
        for name, value in fields.items():
            setattr(review, name, value)
        if user is not None:
            return save_review(review, actual_values=values, user=user)
        review.save()
        for indicator, actual in values.items():
            IndicatorValue.objects.create(review=review, indicator=indicator, actual_value=actual)
        return review
