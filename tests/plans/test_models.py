import datetime

import pytest
from django.core.exceptions import ValidationError

from plans.models import Activity, ActivityPlan, ActivityStatus, MissingPart, PlanStatus
from tests.factories import (
    ActivityFactory,
    GoalFactory,
    IndicatorFactory,
    PlanFactory,
    StrategyFactory,
)

pytestmark = pytest.mark.django_db


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


class TestReferenceCodes:
    def test_codes_are_goal_strategy_and_serial(self, plan):
        goal = GoalFactory(declaration=plan.declaration, position=2)
        strategy = StrategyFactory(goal=goal, position=1)

        first = ActivityFactory(plan=plan, strategy=strategy)
        second = ActivityFactory(plan=plan, strategy=strategy)

        assert (first.reference_code, second.reference_code) == ("2.1.1", "2.1.2")

    def test_deleted_code_is_never_handed_out_again(self, plan):
        strategy = StrategyFactory(
            goal=GoalFactory(declaration=plan.declaration, position=1), position=1
        )
        ActivityFactory(plan=plan, strategy=strategy)
        second = ActivityFactory(plan=plan, strategy=strategy)
        second.delete()

        third = ActivityFactory(plan=plan, strategy=strategy)

        assert third.reference_code == "1.1.3"

    def test_code_stays_when_activity_moves_to_another_strategy(self, plan):
        goal = GoalFactory(declaration=plan.declaration, position=1)
        old, new = StrategyFactory(goal=goal, position=1), StrategyFactory(goal=goal, position=2)
        activity = ActivityFactory(plan=plan, strategy=old)

        activity.strategy = new
        activity.save()
        activity.refresh_from_db()
        newcomer = ActivityFactory(plan=plan, strategy=new)

        assert activity.reference_code == "1.1.1"
        assert activity.history.first().strategy_id == new.pk
        assert newcomer.reference_code == "1.2.1"

    def test_codes_continue_after_codes_that_arrived_without_the_sequence(self, plan):
        strategy = StrategyFactory(
            goal=GoalFactory(declaration=plan.declaration, position=3), position=1
        )
        ActivityFactory(plan=plan, strategy=strategy, reference_code="3.1.7")

        assert ActivityFactory(plan=plan, strategy=strategy).reference_code == "3.1.8"

    def test_codes_sort_numerically(self, plan):
        strategy = StrategyFactory(
            goal=GoalFactory(declaration=plan.declaration, position=1), position=1
        )
        for _ in range(10):
            ActivityFactory(plan=plan, strategy=strategy)

        codes = list(plan.activities.in_code_order().values_list("reference_code", flat=True))

        assert codes[-2:] == ["1.1.9", "1.1.10"]

    def test_same_code_may_exist_in_two_plans(self, plan):
        strategy = StrategyFactory(
            goal=GoalFactory(declaration=plan.declaration, position=1), position=1
        )
        other_plan = PlanFactory(declaration=plan.declaration)

        first = ActivityFactory(plan=plan, strategy=strategy)
        second = ActivityFactory(plan=other_plan, strategy=strategy)

        assert first.reference_code == second.reference_code == "1.1.1"

    def test_duplicate_code_in_one_plan_is_refused_with_message(self, plan):
        existing = ActivityFactory(plan=plan)
        duplicate = ActivityFactory.build(
            plan=plan, strategy=existing.strategy, reference_code=existing.reference_code
        )

        assert errors_of(duplicate)["__all__"] == [
            "En annan aktivitet i den här planen har redan den här referenskoden."
        ]

    def test_malformed_code_is_refused(self, plan):
        activity = ActivityFactory.build(plan=plan, reference_code="1-2")
        activity.strategy = StrategyFactory(goal=GoalFactory(declaration=plan.declaration))

        assert errors_of(activity)["reference_code"] == [
            "En referenskod är tre tal åtskilda av punkter, t.ex. 2.1.3."
        ]


class TestValidation:
    def test_end_before_start_is_refused(self):
        activity = ActivityFactory()
        activity.planned_start = datetime.date(2025, 5, 1)
        activity.planned_end = datetime.date(2025, 4, 1)

        assert errors_of(activity)["planned_end"] == [
            "Planerat slut kan inte ligga före planerad start."
        ]

    def test_same_month_start_and_end_is_allowed(self):
        activity = ActivityFactory()
        activity.planned_start = datetime.date(2025, 5, 1)
        activity.planned_end = datetime.date(2025, 5, 1)
        activity.full_clean()

    def test_dates_are_kept_with_month_precision(self):
        activity = ActivityFactory.build(plan=PlanFactory())
        activity.strategy = StrategyFactory(goal=GoalFactory(declaration=activity.plan.declaration))
        activity.planned_start = datetime.date(2025, 5, 17)
        activity.full_clean()

        assert activity.planned_start == datetime.date(2025, 5, 1)

    def test_strategy_of_another_declaration_is_refused(self, plan):
        foreign_strategy = StrategyFactory()
        activity = ActivityFactory(plan=plan)
        activity.strategy = foreign_strategy

        message = errors_of(activity)["strategy"][0]
        assert "tillhör en annan avsiktsförklaring" in message
        assert foreign_strategy.title in message

    def test_indicator_target_year_outside_plan_period_is_refused(self):
        activity = ActivityFactory(plan=PlanFactory(start_year=2023, end_year=2026))
        indicator = IndicatorFactory.build(activity=activity, target_year=2030)

        assert errors_of(indicator)["target_year"] == [
            "Målåret 2030 ligger utanför planens period 2023–2026."
        ]

    def test_indicator_target_year_inside_open_ended_plan_is_allowed(self):
        activity = ActivityFactory(plan=PlanFactory(start_year=2022, end_year=None))
        IndicatorFactory.build(activity=activity, target_year=2035).full_clean()

    def test_indicator_target_year_before_baseline_year_is_refused(self):
        indicator = IndicatorFactory.build(
            activity=ActivityFactory(), baseline_year=2025, target_year=2024
        )

        # Beside the field it is about, and said once (the check constraint repeats the rule
        # for the database).
        assert errors_of(indicator) == {"target_year": ["Målåret kan inte ligga före basåret."]}

    def test_plan_period_cannot_end_before_it_starts(self):
        plan = PlanFactory.build(
            declaration=PlanFactory().declaration, start_year=2025, end_year=2024
        )

        assert errors_of(plan)["__all__"] == ["Sista året kan inte ligga före första året."]


class TestCompleteness:
    def test_incomplete_activity_lists_what_is_missing(self):
        activity = ActivityFactory(incomplete=True)

        assert activity.missing_parts == [
            MissingPart.SCHEDULE,
            MissingPart.RESPONSIBILITY,
            MissingPart.MEASURABILITY,
            MissingPart.TYPE,
        ]
        assert activity.missing_part_labels == ["tidplan", "ansvar", "mätbarhet", "aktivitetstyp"]

    def test_schedule_note_or_indicator_count_as_present(self):
        activity = ActivityFactory(
            planned_start=None, planned_end=None, schedule_note="HT 2025", measurability=""
        )
        IndicatorFactory(activity=activity)

        assert activity.is_complete
        assert Activity.objects.incomplete().count() == 0

    @pytest.mark.parametrize(
        ("changes", "part"),
        [
            ({"planned_end": None}, MissingPart.SCHEDULE),
            ({"lead_organisation": None}, MissingPart.RESPONSIBILITY),
            ({"measurability": ""}, MissingPart.MEASURABILITY),
            ({"activity_type": ""}, MissingPart.TYPE),
        ],
    )
    def test_database_filter_agrees_with_the_model(self, changes, part):
        ActivityFactory()
        activity = ActivityFactory(**changes)

        assert activity.missing_parts == [part]
        assert list(Activity.objects.incomplete()) == [activity]
        assert list(Activity.objects.missing(part)) == [activity]
        assert activity not in Activity.objects.complete()

    def test_draft_plan_may_hold_incomplete_activities(self, plan):
        ActivityFactory(plan=plan, incomplete=True)
        plan.full_clean()

    def test_plan_with_incomplete_activities_cannot_become_active(self, plan):
        complete = ActivityFactory(plan=plan)
        incomplete = ActivityFactory(plan=plan, incomplete=True, title="Belysning i centrum")
        plan.status = PlanStatus.ACTIVE

        message = errors_of(plan)["status"][0]

        assert message.startswith("Planen kan inte aktiveras medan 1 aktivitet är ofullständig")
        assert f"{incomplete.reference_code} Belysning i centrum" in message
        assert "tidplan, ansvar, mätbarhet, aktivitetstyp" in message
        assert complete.reference_code not in message

    def test_plan_with_complete_activities_can_become_active(self, plan):
        ActivityFactory(plan=plan)
        plan.status = PlanStatus.ACTIVE
        plan.full_clean()
        plan.save()

        assert ActivityPlan.objects.get().status == PlanStatus.ACTIVE


class TestLateness:
    def test_activity_is_late_when_end_month_passed_and_not_done(self):
        past = {
            "planned_start": datetime.date(2019, 1, 1),
            "planned_end": datetime.date(2020, 1, 1),
        }
        activity = ActivityFactory(**past)
        done = ActivityFactory(**past, status=ActivityStatus.DONE)

        assert activity.is_late
        assert not done.is_late
        assert list(Activity.objects.late()) == [activity]

    def test_the_late_set_and_each_activity_agree_on_a_start_passed_while_planned(self):
        today = datetime.date(2026, 5, 20)
        end = datetime.date(2026, 12, 1)
        april, may = datetime.date(2026, 4, 1), datetime.date(2026, 5, 1)
        not_started = ActivityFactory(
            status=ActivityStatus.PLANNED, planned_start=april, planned_end=end
        )
        ActivityFactory(status=ActivityStatus.ONGOING, planned_start=april, planned_end=end)
        ActivityFactory(status=ActivityStatus.PLANNED, planned_start=may, planned_end=end)

        assert list(Activity.objects.late(today)) == [not_started]
        assert [a for a in Activity.objects.all() if a.late_reasons(today)] == [not_started]


class TestScheduleLabel:
    def test_dates_show_as_swedish_months(self):
        activity = Activity(
            planned_start=datetime.date(2024, 3, 1), planned_end=datetime.date(2025, 12, 1)
        )
        assert activity.schedule_label == "mars 2024 – december 2025"

    def test_note_shown_where_dates_are_missing(self):
        activity = Activity(schedule_note="HT 2023")
        assert activity.schedule_label == "HT 2023"
