import pytest
from django.core import serializers

from strategies.models import Goal, IntentDeclaration, Strategy
from tests.factories import GoalFactory, StrategyFactory

pytestmark = pytest.mark.django_db


def test_strategy_number_combines_goal_and_strategy_positions():
    strategy = StrategyFactory(goal=GoalFactory(position=2), position=1)
    assert strategy.number == "2.1"
    assert str(strategy) == f"2.1 {strategy.title}"


def test_urls_point_into_the_portal():
    strategy = StrategyFactory(goal=GoalFactory(position=3), position=2)
    declaration = strategy.goal.declaration

    assert declaration.get_absolute_url() == f"/avsiktsforklaringar/{declaration.slug}/"
    assert (
        strategy.goal.get_absolute_url() == f"/avsiktsforklaringar/{declaration.slug}/malbilder/3/"
    )
    assert strategy.get_absolute_url().endswith("/malbilder/3/#strategi-3-2")
    assert declaration.district.get_absolute_url() == f"/stadsdelar/{declaration.district.slug}/"


def test_goals_and_strategies_round_trip_through_natural_keys():
    strategy = StrategyFactory()
    dumped = serializers.serialize(
        "json",
        [strategy.goal.declaration, strategy.goal, strategy],
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
    )

    loaded = [item.object for item in serializers.deserialize("json", dumped)]

    assert [obj.pk for obj in loaded] == [
        strategy.goal.declaration.pk,
        strategy.goal.pk,
        strategy.pk,
    ]
    assert Strategy.objects.get_by_natural_key(*strategy.natural_key()) == strategy
    assert Goal.objects.get_by_natural_key(*strategy.goal.natural_key()) == strategy.goal
    assert IntentDeclaration.objects.get_by_natural_key(strategy.goal.declaration.slug)
