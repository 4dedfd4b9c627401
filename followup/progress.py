"""A round's reporting state: which of the plan's activities have been reported, counted in
total, per lead organisation and per målbild, for the round's page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from klockaretorpet import permissions
from plans.models import Activity
from strategies.models import Organisation

from .models import FollowUp


@dataclass
class Progress:
    label: str
    reported: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.reported / self.total) if self.total else 100


class RoundProgress:
    """Every activity of the round's plan, each with its `review` (or None) and whether `user`
    may fill it in (`can_report`), loaded in a fixed number of queries."""

    def __init__(self, follow_up: FollowUp, *, user) -> None:
        self.follow_up = follow_up
        self.activities: list[Activity] = list(follow_up.plan.activities.for_round_page())
        reviews = follow_up.reviews.for_progress().by_activity()
        for activity in self.activities:
            activity.review = reviews.get(activity.pk)
            activity.can_report = permissions.can_report(user, follow_up, activity)
        self.reported = len(reviews)

    @property
    def total(self) -> Progress:
        return Progress(_("All activities"), self.reported, len(self.activities))

    @cached_property
    def per_organisation(self) -> list[Progress]:
        """Per lead organisation, by name; the activities without one under their own label."""
        totals, reported = Counter(), Counter()
        for activity in self.activities:
            name = activity.lead_organisation.name if activity.lead_organisation else ""
            totals[name] += 1
            reported[name] += activity.review is not None
        return [
            Progress(name or _("No lead organisation"), reported[name], total)
            for name, total in sorted(totals.items())
        ]

    @cached_property
    def per_goal(self) -> list[Progress]:
        goals, totals, reported = {}, Counter(), Counter()
        for activity in self.activities:
            goal = activity.strategy.goal
            goals[goal.pk] = goal
            totals[goal.pk] += 1
            reported[goal.pk] += activity.review is not None
        return [
            Progress(f"{goal.position} {goal.title}", reported[pk], totals[pk])
            for pk, goal in sorted(goals.items(), key=lambda item: item[1].position)
        ]

    def lead_organisations(self) -> QuerySet[Organisation]:
        """The lead organisations and those they belong to: "Norrköpings kommun" shows its
        units' activities too."""
        parents = dict(Organisation.objects.values_list("pk", "parent"))
        chosen: set[int] = set()
        for organisation in {a.lead_organisation_id for a in self.activities}:
            while organisation is not None and organisation not in chosen:
                chosen.add(organisation)
                organisation = parents.get(organisation)
        return Organisation.objects.filter(pk__in=chosen)

    def led_by(self, organisation: Organisation | None) -> list[Activity]:
        """The activities `organisation` or one of its units leads; all of them for None."""
        if organisation is None:
            return self.activities
        units = Organisation.objects.ids_with_units(organisation.pk)
        return [activity for activity in self.activities if activity.lead_organisation_id in units]

    def filtered(
        self, organisation: Organisation | None, *, reported: bool | None
    ) -> list[Activity]:
        """The activities `organisation` leads (all for None) that are reported, or not, or
        either for None."""
        return [
            activity
            for activity in self.led_by(organisation)
            if reported is None or (activity.review is not None) == reported
        ]

    def next_to_report(self, after: Activity) -> Activity | None:
        """The first activity after `after`, in the page's order, that the user may report and
        nobody has yet."""
        position = next(
            (index for index, activity in enumerate(self.activities) if activity.pk == after.pk),
            len(self.activities),
        )
        return next(
            (
                activity
                for activity in self.activities[position + 1 :]
                if activity.can_report and activity.review is None
            ),
            None,
        )
