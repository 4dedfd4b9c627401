"""A plain query of any model joins no other table: default orderings name the model's own
columns (a foreign key's id, not the related model, whose ordering Django would follow)."""

import pytest
from django.apps import apps

# Reports are read in their activities' code order and indicator values in their indicators'
# order wherever they are listed; one join each is the price of that order.
ONE_JOIN_ON_PURPOSE = {"followup.ActivityReview", "followup.IndicatorValue"}


def concrete_models():
    for app in ("strategies", "plans", "followup"):
        for model in apps.get_app_config(app).get_models():
            if not model._meta.abstract and not model._meta.proxy:
                yield pytest.param(model, id=model._meta.label)


@pytest.mark.parametrize("model", list(concrete_models()))
def test_a_plain_query_joins_nothing(model):
    sql = str(model._default_manager.all().query).upper()
    joins = sql.count(" JOIN ")
    assert joins == (1 if model._meta.label in ONE_JOIN_ON_PURPOSE else 0), sql
