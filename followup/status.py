"""The plan's state at a glance and an editor's tasks: what the start page and the top of the
declaration page show, so that "how is the plan going?" and "what is left for me?" take one look.

Everything is counted in the database, in a fixed number of queries per plan whatever its number
of activities: the start page lists every district's plan.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from klockaretorpet import permissions
from plans.models import Activity, ActivityPlan, ActivityStatus
from strategies.models import Organisation

from .models import AssessmentOutcome, FollowUp, FollowUpState

# The start page names this many activities per task and links to the full list for the rest.
TASKS_LISTED = 5


@dataclass(frozen=True)
class Tally:
    value: str
    label: str
    count: int
    # The badge's colour class (`{% badge %}`), where it is not the value's own.
    modifier: str = ""

    @property
    def badge(self) -> str:
        return self.modifier or self.value


@dataclass(frozen=True)
class LateCount:
    organisation_id: int | None
    name: str
    count: int


@dataclass
class PlanStatus:
    plan: ActivityPlan
    total: int
    by_status: list[Tally]
    late: int
    late_by_organisation: list[LateCount]
    incomplete: int
    closed_round: FollowUp | None
    by_assessment: list[Tally]
    open_round: FollowUp | None
    open_reported: int

    @property
    def open_unreported(self) -> int:
        return self.total - self.open_reported

    @property
    def meeting_round(self) -> FollowUp | None:
        """The round whose report the next review meeting reads: the open one while it runs."""
        return self.open_round or self.closed_round


def plan_status(plan: ActivityPlan, *, today: datetime.date | None = None) -> PlanStatus:
    today = today or timezone.localdate()
    activities = Activity.objects.filter(plan=plan)
    status_counts = dict(
        activities.order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    late_rows = (
        activities.late(today)
        .order_by()
        .values_list(
            "lead_organisation", "lead_organisation__short_name", "lead_organisation__name"
        )
        .annotate(count=Count("pk"))
    )
    late_by_organisation = sorted(
        (
            LateCount(pk, short_name or name or _("No lead organisation"), count)
            for pk, short_name, name, count in late_rows
        ),
        key=lambda row: (row.organisation_id is None, row.name),
    )
    rounds = list(
        FollowUp.objects.filter(plan=plan)
        .only("pk", "year", "state", "deadline", "plan_id")
        .order_by("-year")
    )
    open_round = next((r for r in rounds if r.state == FollowUpState.OPEN), None)
    closed_round = next((r for r in rounds if r.state == FollowUpState.CLOSED), None)
    total = sum(status_counts.values())
    by_assessment = []
    if closed_round is not None:
        assessed = dict(
            closed_round.reviews.order_by()
            .values_list("assessment")
            .annotate(count=Count("pk"))
            .values_list("assessment", "count")
        )
        assessed[AssessmentOutcome.NOT_REPORTED] = total - sum(assessed.values())
        by_assessment = [
            Tally(
                outcome.value,
                outcome.label,
                assessed.get(outcome.value, 0),
                "unreported" if outcome == AssessmentOutcome.NOT_REPORTED else "",
            )
            for outcome in AssessmentOutcome
        ]
    return PlanStatus(
        plan=plan,
        total=total,
        by_status=[
            Tally(status.value, status.label, status_counts.get(status, 0))
            for status in ActivityStatus
        ],
        late=sum(row.count for row in late_by_organisation),
        late_by_organisation=late_by_organisation,
        incomplete=activities.incomplete().count(),
        closed_round=closed_round,
        by_assessment=by_assessment,
        open_round=open_round,
        open_reported=open_round.reviews.count() if open_round else 0,
    )


@dataclass
class TaskList:
    """Some of the activities a task concerns (`TASKS_LISTED`), and how many there are."""

    activities: list[Activity]
    count: int

    @property
    def more(self) -> int:
        return self.count - len(self.activities)


def _task_list(activities) -> TaskList:
    listed = list(activities.select_related("plan__declaration").in_code_order()[:TASKS_LISTED])
    return TaskList(listed, activities.count() if len(listed) == TASKS_LISTED else len(listed))


@dataclass
class RoundTasks:
    follow_up: FollowUp
    unreported: TaskList


@dataclass
class MyTasks:
    organisation: Organisation | None
    rounds: list[RoundTasks] = field(default_factory=list)
    incomplete: TaskList | None = None
    late: TaskList | None = None

    @property
    def anything(self) -> bool:
        return bool(
            any(tasks.unreported.count for tasks in self.rounds)
            or (self.incomplete and self.incomplete.count)
            or (self.late and self.late.count)
        )


def current_plans() -> list[ActivityPlan]:
    """Every declaration's current plan (`ActivityPlanQuerySet.current`), in one query."""
    plans: dict[int, ActivityPlan] = {}
    for plan in ActivityPlan.objects.current_first().select_related("declaration"):
        plans.setdefault(plan.declaration_id, plan)
    return list(plans.values())


def my_tasks(user, plans: list[ActivityPlan], *, today: datetime.date | None = None):
    """What is left for an editor in these plans: the activities their organisation (and its
    units) answers for, lead or co-responsible. None for users who answer for no organisation."""
    organisation_ids = permissions.organisation_ids_of(user)
    if not organisation_ids or not permissions.can_change(user, Activity):
        return None
    today = today or timezone.localdate()
    mine = Activity.objects.filter(plan__in=plans).responsible_for(organisation_ids)
    tasks = MyTasks(Organisation.objects.filter(memberships__user=user).first())
    for follow_up in (
        FollowUp.objects.open().filter(plan__in=plans).select_related("plan").order_by("deadline")
    ):
        unreported = mine.filter(plan=follow_up.plan).exclude(
            pk__in=follow_up.reviews.values("activity")
        )
        tasks.rounds.append(RoundTasks(follow_up, _task_list(unreported)))
    tasks.incomplete = _task_list(mine.incomplete())
    tasks.late = _task_list(mine.late(today))
    return tasks
