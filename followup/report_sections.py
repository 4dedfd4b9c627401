"""What the review meeting reads first in a round's report: *Läget i korthet* (the whole plan in
figures and what moved since the previous version) and *Att ta upp* (the activities to talk
about, worst first).

Everything here is computed from snapshots (`followup.versions.load_snapshot`), never from the
live tables, so a closed round's report says the same years later. Labels are those of the
active language.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import pgettext

from plans.models import FINISHED_STATUSES, Activity, ActivityStatus, MissingPart

from .models import Assessment, AssessmentOutcome
from .snapshots import VersionDiff
from .versions import choice_label, snapshot_month

# The order the meeting takes them in: the worst first.
DISCUSSION_ORDER = (
    AssessmentOutcome.SERIOUS_DEVIATION,
    AssessmentOutcome.DEVIATION,
    AssessmentOutcome.NOT_REPORTED,
)
# Better to worse, for "got better" and "got worse" between two rounds.
ASSESSMENT_RANK = {
    Assessment.ON_TRACK: 0,
    Assessment.DEVIATION: 1,
    Assessment.SERIOUS_DEVIATION: 2,
}
# The bars of the status counts: one colour, the status is in the words beside each bar.
STATUS_COLOUR = "#0b4a7a"
# A first sentence longer than this is cut: the table is an index to the activity, not its text.
FIRST_SENTENCE_LIMIT = 180
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


@dataclass
class Bar:
    """One bar of a report chart, every coordinate an integer (WeasyPrint's SVG)."""

    key: str
    label: str
    count: int
    colour: str
    width: int = 0
    y: int = 0


@dataclass
class BarGroup:
    heading: str
    bars: list[Bar]
    y: int = 0


@dataclass
class Chart:
    """Bars in groups, all on one scale: `longest` px is the highest count of the chart."""

    description: str  # the text alternative (the SVG's <title>)
    groups: list[BarGroup]
    width: int = 0
    height: int = 0


def scale_bars(bars: list[Bar], *, highest: int, longest: int) -> None:
    for bar in bars:
        bar.width = round(longest * bar.count / max(highest, 1))


def stacked_chart(
    description: str, groups: list[BarGroup], *, row: int, longest: int, labels: int
) -> Chart:
    """Groups of bars one below the other, a heading row above each, on the one scale of the
    highest bar of all of them."""
    highest = max([bar.count for group in groups for bar in group.bars] + [1])
    y = 0
    for group in groups:
        group.y = y
        y += row if group.heading else 0
        scale_bars(group.bars, highest=highest, longest=longest)
        for bar in group.bars:
            bar.y = y
            y += row
        y += row // 2
    return Chart(description, groups, width=labels + longest + 40, height=y)


def assessment_bars(activities: list[dict], colours: dict[str, str]) -> list[Bar]:
    """The activities counted by this round's assessment, a bar for every outcome."""
    counted = Counter(assessment_of(activity) for activity in activities)
    return [
        Bar(key, str(label), counted[key], colours[key]) for key, label in AssessmentOutcome.choices
    ]


def status_bars(activities: list[dict]) -> list[Bar]:
    counted = Counter(activity["status"] for activity in activities)
    return [
        Bar(key, str(label), counted[key], STATUS_COLOUR) for key, label in ActivityStatus.choices
    ]


def chart_description(title: str, bars: list[Bar]) -> str:
    return f"{title}: " + ", ".join(f"{bar.label} {bar.count}" for bar in bars)


# --- Läget i korthet --------------------------------------------------------------------


@dataclass
class Movement:
    """An activity whose assessment changed since the previous round."""

    code: str
    title: str
    before: str
    after: str


@dataclass
class Overview:
    activities: int
    reported: int
    late: int
    incomplete: int
    assessments: list[Bar]
    statuses: list[Bar]
    previous_number: int | None = None
    previous_round_year: int | None = None
    added: list[dict] = field(default_factory=list)
    finished: list[dict] = field(default_factory=list)
    cancelled: list[dict] = field(default_factory=list)
    better: list[Movement] = field(default_factory=list)
    worse: list[Movement] = field(default_factory=list)


def overview(
    activities: list[dict],
    *,
    colours: dict[str, str],
    today: datetime.date,
    changes: VersionDiff | None = None,
    previous_number: int | None = None,
    previous_round: dict | None = None,
    previous_round_year: int | None = None,
) -> Overview:
    """The whole plan in figures. `changes` is the diff against the previous version (what was
    added, finished, cancelled since), `previous_round` the previous round's snapshot (whose
    assessments got better or worse); each is loaded already, or None."""
    result = Overview(
        activities=len(activities),
        reported=sum(1 for activity in activities if activity.get("review")),
        late=sum(1 for activity in activities if late_reasons(activity, today)),
        incomplete=sum(1 for activity in activities if missing_parts(activity)),
        assessments=assessment_bars(activities, colours),
        statuses=status_bars(activities),
        previous_number=previous_number,
        previous_round_year=previous_round_year,
    )
    if changes is not None:
        result.added = changes.added
        for activity, fields in changes.changed:
            if any(change.field == "status" for change in fields):
                if activity["status"] == ActivityStatus.DONE:
                    result.finished.append(activity)
                elif activity["status"] == ActivityStatus.CANCELLED:
                    result.cancelled.append(activity)
    if previous_round is not None:
        before = {
            activity["code"]: activity["review"]
            for activity in previous_round["activities"]
            if activity.get("review")
        }
        for activity in activities:
            now, earlier = activity.get("review"), before.get(activity["code"])
            if not now or not earlier:
                continue
            rank_now = ASSESSMENT_RANK.get(now["assessment"])
            rank_before = ASSESSMENT_RANK.get(earlier["assessment"])
            if rank_now is None or rank_before is None or rank_now == rank_before:
                continue
            movement = Movement(
                activity["code"],
                activity["title"],
                _assessment_label(earlier),
                _assessment_label(now),
            )
            (result.better if rank_now < rank_before else result.worse).append(movement)
    return result


def _assessment_label(review: dict) -> str:
    return choice_label(Assessment, review["assessment"], review.get("assessment_label", ""))


def assessment_of(activity: dict) -> str:
    review = activity.get("review")
    return review["assessment"] if review else AssessmentOutcome.NOT_REPORTED


def late_reasons(activity: dict, today: datetime.date) -> list[str]:
    """Why a snapshot's activity was behind its tidplan on `today`, by the plan's own rule
    (`Activity.late_reasons`)."""
    return Activity(
        status=activity["status"],
        planned_start=snapshot_month(activity.get("planned_start")),
        planned_end=snapshot_month(activity.get("planned_end")),
    ).late_reasons(today)


def missing_parts(activity: dict) -> list[MissingPart]:
    """Snapshot twin of `Activity.missing_parts`; keep the two in step."""
    missing = []
    has_dates = activity.get("planned_start") and activity.get("planned_end")
    if not has_dates and not activity.get("schedule_note"):
        missing.append(MissingPart.SCHEDULE)
    if not activity.get("lead_organisation"):
        missing.append(MissingPart.RESPONSIBILITY)
    if not activity.get("measurability") and not activity.get("indicators"):
        missing.append(MissingPart.MEASURABILITY)
    if not activity.get("activity_type"):
        missing.append(MissingPart.TYPE)
    return missing


# --- Att ta upp -------------------------------------------------------------------------


@dataclass
class DiscussionItem:
    activity: dict
    deviation: str  # the first sentence of what the report says went wrong
    late: str  # why it is behind its tidplan, or ""


def discussion_items(activities: list[dict], *, today: datetime.date) -> list[DiscussionItem]:
    """The activities the meeting should talk about: serious deviations, deviations, those not
    reported, then the others that are late; in code order within each. A finished activity
    nobody reported has nothing left to discuss."""
    groups: dict[str, list[DiscussionItem]] = {key: [] for key in DISCUSSION_ORDER}
    late: list[DiscussionItem] = []
    for activity in activities:
        assessment = assessment_of(activity)
        review = activity.get("review") or {}
        item = DiscussionItem(
            activity,
            first_sentence(review.get("deviations", "")),
            _late_text(late_reasons(activity, today)),
        )
        if assessment == AssessmentOutcome.NOT_REPORTED:
            if activity["status"] not in FINISHED_STATUSES:
                groups[assessment].append(item)
        elif assessment in groups:
            groups[assessment].append(item)
        elif item.late:
            late.append(item)
    return [item for key in DISCUSSION_ORDER for item in groups[key]] + late


def _late_text(reasons: list[str]) -> str:
    if not reasons:
        return ""
    return pgettext("one activity", "Late: %(reasons)s.") % {"reasons": "; ".join(reasons)}


def first_sentence(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        return ""
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    if len(sentence) > FIRST_SENTENCE_LIMIT:
        cut = sentence[:FIRST_SENTENCE_LIMIT].rsplit(" ", 1)[0]
        return cut.rstrip(",;:") + " …"
    return sentence
