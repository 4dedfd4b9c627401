"""The printed documents: the follow-up report of a round and the plan itself, as PDF.

Both are rendered from a snapshot (`followup.snapshots`): a closed round from its version, so
the report prints the same whatever is edited later; an open round or "the plan now" from a
snapshot taken on the spot. This module is the one adapter between a snapshot (read through
`followup.versions.load_snapshot`, whatever its schema) and the report templates; labels are
those of the active language.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from klockaretorpet.fingerprint import files_fingerprint
from klockaretorpet.generations import Generation
from klockaretorpet.numbers import decimal_text
from klockaretorpet.pdf import render_pdf
from plans.models import ActivityStatus
from plans.tree_cache import PLAN_DATA

from .models import Assessment, AssessmentOutcome, FollowUp, PlanVersion
from .report_sections import (
    Bar,
    BarGroup,
    Chart,
    assessment_bars,
    chart_description,
    discussion_items,
    overview,
    scale_bars,
    stacked_chart,
    status_bars,
)
from .snapshots import diff_snapshots, plan_snapshot
from .versions import activity_type_short_label, choice_label, load_snapshot, schedule_label

# Every committed write to the follow-up app (reports, indicator values, rounds, versions) starts
# a new generation; an open round's report is cached under it and the plan data's.
FOLLOW_UP_DATA = Generation("followup:generation", frozenset({"followup"}))
# The plan's green / yellow / red; WeasyPrint's SVG takes colours as attributes, not from CSS.
CHART_COLOURS = {
    AssessmentOutcome.ON_TRACK: "#2e7d32",
    AssessmentOutcome.DEVIATION: "#f2b705",
    AssessmentOutcome.SERIOUS_DEVIATION: "#c62828",
    AssessmentOutcome.NOT_REPORTED: "#9e9e9e",
}
CHART_WIDTH = 200  # px of the longest bar in a summary chart
CHART_ROW = 18  # px per bar
CHART_LABELS = 140  # px left of the bars for the words
PDF_CACHE_SECONDS = 30 * 24 * 60 * 60
OPEN_PDF_CACHE_SECONDS = 24 * 60 * 60
# How long a second request for a report being rendered waits for it, and how often it looks.
REPORT_WAIT_SECONDS = 30
REPORT_POLL_SECONDS = 0.5
# Longer than any render may run (gunicorn's timeout, 120 s, ends a request before): a lock left
# by a worker that was killed mid-render expires by itself.
RENDERING_LOCK_SECONDS = 180
REPORT_TEMPLATES = settings.BASE_DIR / "templates" / "followup" / "report"
REPORT_STYLESHEET = settings.BASE_DIR / "static" / "css" / "report.css"


@dataclass
class GoalSection:
    position: int
    title: str
    description: str
    strategies: list[dict] = field(default_factory=list)
    assessments: list[Bar] = field(default_factory=list)
    statuses: list[Bar] = field(default_factory=list)
    chart_description: str = ""

    @property
    def activity_count(self) -> int:
        return sum(len(strategy["activities"]) for strategy in self.strategies)


class ReportBeingRendered(Exception):
    """The same report is being rendered for another request, for longer than one waits."""


def followup_report_pdf(follow_up: FollowUp, *, short: bool = False) -> tuple[str, bytes]:
    """(file name, PDF) of the round's report: from its version once closed, and then rendered
    once only, as a closed round's report can never change; an open round's is rendered again
    only after the plan or a report has changed. `short` is the *Kortversion*: the cover,
    *Läget i korthet*, *Att ta upp* and the changes, without the activities' pages."""
    version = getattr(follow_up, "version", None) if not follow_up.is_open else None
    render = partial(_followup_report_pdf, follow_up, version, short=short)
    if version is None:
        return _rendered_until_changed(f"round:{follow_up.pk}{':short' * short}", render)
    return _rendered_once(
        _round_pdf_name(follow_up.pk, version.pk, version.erasures.count(), short=short), render
    )


def _followup_report_pdf(
    follow_up: FollowUp, version: PlanVersion | None, *, short: bool
) -> tuple[str, bytes]:
    snapshot = (
        version.plan_data() if version else plan_snapshot(follow_up.plan, follow_up=follow_up)
    )
    html = render_to_string(
        "followup/report/followup_report.html",
        report_context(
            snapshot,
            version=version,
            previous=_previous_version(follow_up.plan, before=version),
            previous_round=_previous_round_version(follow_up, before=version),
            short=short,
            preliminary=version is None,
        ),
    )
    return _report_file_name(
        snapshot["declaration"]["slug"], follow_up.year, short=short, preliminary=version is None
    ), render_pdf(html)


def _report_file_name(slug: str, year: int, *, short: bool, preliminary: bool) -> str:
    """The round report's file name, e.g. uppfoljning-klockaretorpet-2025.pdf. A draft, a short
    version and a report in another language say so, so that two saved files never look alike."""
    parts = ["uppfoljning", slug, str(year)]
    if short:
        parts.append("kortversion")
    if preliminary:
        parts.append("preliminar")
    return "-".join(parts + _language_suffix()) + ".pdf"


def _language_suffix() -> list[str]:
    language = translation.get_language()
    return [language] if language and language != settings.LANGUAGE_CODE else []


def plan_report_pdf(plan, *, version: PlanVersion | None = None) -> tuple[str, bytes]:
    """(file name, PDF) of the plan itself: the declaration and its activity plan, as it is now
    or as a version froze it (rendered once only)."""
    if version is None:
        return _rendered_until_changed(f"plan:{plan.pk}", lambda: _plan_report_pdf(plan, version))
    return _rendered_once(
        _version_pdf_name(version.pk, version.erasures.count()),
        lambda: _plan_report_pdf(plan, version),
    )


# A version's PDFs are rendered once, but removing a person's name is the one change a version
# gets: the names of its PDFs count its erasures, so that a PDF rendered before one is never
# served again (`forget_version_pdfs` drops it as well).
def _round_pdf_name(follow_up_pk: int, version_pk: int, erasures: int, *, short: bool) -> str:
    return f"round:{follow_up_pk}:{version_pk}:{erasures}{':short' * short}"


def _version_pdf_name(version_pk: int, erasures: int) -> str:
    return f"version:{version_pk}:{erasures}"


def forget_version_pdfs(versions) -> None:
    """Drop the cached PDFs of these versions, as rendered before their latest erasure, in
    every language; for the retention routine, once its transaction commits."""
    names = []
    for version in versions:
        erasures = version.erasures.count()
        names.append(_version_pdf_name(version.pk, erasures))
        if version.follow_up_id is not None:
            names += [
                _round_pdf_name(version.follow_up_id, version.pk, erasures, short=short)
                for short in (False, True)
            ]
    keys = [_pdf_key(name, code) for name in names for code, _name in settings.LANGUAGES]
    transaction.on_commit(lambda: cache.delete_many(keys))


def _plan_report_pdf(plan, version: PlanVersion | None) -> tuple[str, bytes]:
    snapshot = version.plan_data() if version else plan_snapshot(plan)
    html = render_to_string(
        "followup/report/plan_report.html", report_context(snapshot, version=version)
    )
    parts = ["plan", snapshot["declaration"]["slug"]]
    parts += [f"version-{version.number}"] if version else ["aktuell"]
    return "-".join(parts + _language_suffix()) + ".pdf", render_pdf(html)


def _rendered_once(name: str, render) -> tuple[str, bytes]:
    """A PDF of an immutable version from the shared cache, rendered on the first request."""
    return _cached_render(name, render, PDF_CACHE_SECONDS)


def _rendered_until_changed(name: str, render) -> tuple[str, bytes]:
    """A PDF of data that can still change (an open round, the plan now), from the shared cache
    until the next committed write to the plan or the follow-up data, or the next day (the
    report tells what is late). A transaction that has written reads its own writes, so it
    renders without the cache."""
    if PLAN_DATA.pending() or FOLLOW_UP_DATA.pending():
        return render()
    generations = f"{PLAN_DATA.current()}:{FOLLOW_UP_DATA.current()}"
    return _cached_render(
        f"{name}:{generations}:{timezone.localdate().isoformat()}", render, OPEN_PDF_CACHE_SECONDS
    )


def _cached_render(name: str, render, seconds: int) -> tuple[str, bytes]:
    """The PDF from the shared cache, or rendered by one request at a time.

    Rendering a large report takes seconds and hundreds of megabytes; a second request for the
    same report waits for the first one's result instead of rendering it again beside it, and
    after `REPORT_WAIT_SECONDS` is told to try again shortly (`ReportBeingRendered`). The key
    holds the language and a fingerprint of the report's templates and stylesheet, so a new
    release that changes the layout renders anew rather than serving the old one.
    """
    key = _pdf_key(name, translation.get_language())
    cached = cache.get(key)
    if cached is not None:
        return cached
    rendering = f"{key}:rendering"
    give_up = time.monotonic() + REPORT_WAIT_SECONDS
    # `add` writes only when the key is absent: of two requests, one gets to render.
    while not cache.add(rendering, True, RENDERING_LOCK_SECONDS):
        if time.monotonic() >= give_up:
            raise ReportBeingRendered(name)
        time.sleep(REPORT_POLL_SECONDS)
        cached = cache.get(key)
        if cached is not None:
            return cached
    try:
        # Rendered by the request that held the lock between this one's get and add.
        cached = cache.get(key)
        if cached is None:
            cached = render()
            cache.set(key, cached, seconds)
        return cached
    finally:
        cache.delete(rendering)


def _pdf_key(name: str, language: str) -> str:
    layout = files_fingerprint(REPORT_TEMPLATES, REPORT_STYLESHEET)
    return f"followup:pdf:{name}:{language}:{layout}"


def _previous_version(plan, *, before: PlanVersion | None) -> PlanVersion | None:
    versions = plan.versions.order_by("-number")
    if before is not None:
        versions = versions.filter(number__lt=before.number)
    return versions.first()


def _previous_round_version(follow_up: FollowUp, *, before: PlanVersion | None):
    """The version the previous round closed with: whose assessments this round's are compared
    with."""
    versions = follow_up.plan.versions.filter(follow_up__isnull=False).exclude(follow_up=follow_up)
    if before is not None:
        versions = versions.filter(number__lt=before.number)
    return versions.select_related("follow_up").order_by("-number").first()


def report_context(
    snapshot: dict,
    *,
    version=None,
    previous: PlanVersion | None = None,
    previous_round: PlanVersion | None = None,
    short: bool = False,
    preliminary: bool = False,
) -> dict:
    """What the report templates show, read from a snapshot of any schema the portal knows
    (`SnapshotSchemaError` for a newer one). `previous` is the version before this one (its
    changes), `previous_round` the one the previous round closed with (its assessments)."""
    snapshot = load_snapshot(snapshot)
    goals = [
        GoalSection(position=goal["position"], title=goal["title"], description=goal["description"])
        for goal in snapshot["goals"]
    ]
    by_position = {goal.position: goal for goal in goals}
    strategies = {}
    for goal_data, goal in zip(snapshot["goals"], goals, strict=True):
        for strategy in goal_data["strategies"]:
            entry = {**strategy, "activities": []}
            goal.strategies.append(entry)
            strategies[strategy["number"]] = entry
    activities = [
        _activity(activity, position) for position, activity in enumerate(snapshot["activities"])
    ]
    for activity in activities:
        entry = strategies.get(activity["strategy"])
        if entry is None:
            # A strategy the snapshot's tree does not hold (should not happen): keep it visible.
            goal = by_position.get(activity["goal"])
            if goal is None:
                continue
            entry = {"number": activity["strategy"], "title": activity["strategy_title"]}
            entry["description"], entry["activities"] = "", []
            goal.strategies.append(entry)
            strategies[activity["strategy"]] = entry
        entry["activities"].append(activity)
    _summarise(goals)
    follow_up = snapshot.get("follow_up")
    diff = diff_snapshots(previous.plan_data(), snapshot) if previous is not None else None
    changes = _changes(diff) if diff is not None else None
    taken_at = datetime.datetime.fromisoformat(snapshot["taken_at"])
    # What was late is judged on the day the snapshot was taken: a version reads the same later.
    taken_on = timezone.localdate(taken_at) if timezone.is_aware(taken_at) else taken_at.date()
    declaration = snapshot["declaration"]
    context = {
        "snapshot": snapshot,
        "declaration": declaration,
        "plan": snapshot["plan"],
        "follow_up": follow_up,
        "meeting_date": _date(follow_up and follow_up.get("meeting_date")),
        "deadline": _date(follow_up and follow_up.get("deadline")),
        "version": version,
        "version_date": _long_date(version.created_at) if version else None,
        "taken_at": _long_date(taken_at),
        "previous": previous,
        "changes": changes,
        "goals": goals,
        "totals": _totals(goals),
        "chart": {
            "width": CHART_LABELS + CHART_WIDTH + 40,
            "height": len(AssessmentOutcome.choices) * CHART_ROW,
            "labels": CHART_LABELS,
            "bar": CHART_ROW - 5,
        },
        "short": short,
        "preliminary": preliminary,
        "language": translation.get_language(),
    }
    if follow_up is not None:
        previous_round_data = previous_round.plan_data() if previous_round is not None else None
        context["overview"] = overview(
            activities,
            colours=CHART_COLOURS,
            today=taken_on,
            changes=diff,
            previous_number=previous.number if previous is not None else None,
            previous_round=previous_round_data,
            previous_round_year=previous_round.follow_up.year if previous_round else None,
        )
        context["overview_chart"] = _overview_chart(context["overview"])
        context["discussion"] = discussion_items(activities, today=taken_on)
    return context


def _overview_chart(figures) -> Chart:
    groups = [
        BarGroup(_("By assessment"), figures.assessments),
        BarGroup(_("By status"), figures.statuses),
    ]
    description = "; ".join(chart_description(group.heading, group.bars) for group in groups)
    return stacked_chart(
        _("All activities of the plan") + ". " + description,
        groups,
        row=CHART_ROW,
        longest=CHART_WIDTH,
        labels=CHART_LABELS,
    )


def _activity(data: dict, position: int) -> dict:
    review = data.get("review")
    return {
        **data,
        # Codes are free text: the position in the snapshot makes a safe, unique link target.
        "anchor": f"activity-{position + 1}",
        "indicators": [_indicator(item) for item in data["indicators"]],
        "activity_type_short": activity_type_short_label(
            data.get("activity_type"), data.get("activity_type_label", "")
        ),
        "status_label": choice_label(ActivityStatus, data["status"], data.get("status_label", "")),
        "schedule_label": schedule_label(data),
        "assessment": review["assessment"] if review else AssessmentOutcome.NOT_REPORTED,
        "assessment_label": choice_label(
            Assessment, review["assessment"], review.get("assessment_label", "")
        )
        if review
        else _("not reported"),
        "new_status_label": choice_label(
            ActivityStatus, review.get("new_status"), review.get("new_status_label", "")
        )
        if review
        else "",
    }


def _indicator(item: dict) -> dict:
    return {
        **item,
        "baseline_text": decimal_text(item["baseline_value"], year=item["baseline_year"]),
        "target_text": decimal_text(item["target_value"], year=item["target_year"]),
        "actual_text": decimal_text(item.get("actual_value")),
    }


def _summarise(goals: list[GoalSection]) -> None:
    """Each målbild's counts; the charts share one scale, so that bars compare across them."""
    for goal in goals:
        activities = [a for strategy in goal.strategies for a in strategy["activities"]]
        goal.assessments = assessment_bars(activities, CHART_COLOURS)
        goal.statuses = status_bars(activities)
        goal.chart_description = chart_description(_("Activities by assessment"), goal.assessments)
    highest = max([bar.count for goal in goals for bar in goal.assessments] + [1])
    for goal in goals:
        scale_bars(goal.assessments, highest=highest, longest=CHART_WIDTH)
        for row, bar in enumerate(goal.assessments):
            bar.y = row * CHART_ROW


def _totals(goals: list[GoalSection]) -> dict:
    return {
        "activities": sum(goal.activity_count for goal in goals),
        "reported": sum(
            c.count
            for goal in goals
            for c in goal.assessments
            if c.key != AssessmentOutcome.NOT_REPORTED
        ),
    }


def _changes(diff) -> dict:
    return {
        "added": diff.added,
        "removed": diff.removed,
        "changed": diff.readable_changes(),
        "is_empty": diff.is_empty,
    }


def _date(value: str | None) -> str:
    return _long_date(datetime.date.fromisoformat(value)) if value else ""


def _long_date(value) -> str:
    # "26 november 2026", in the active language.
    return date_format(value, "j F Y")
