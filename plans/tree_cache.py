"""The rendered strategy sections of the plan pages, cached until the plan data changes.

Rendering 500 activity rows is most of a declaration page's time, and the rows change a few
times a week. Each strategy's section is cached under a key that names a *generation*: a token
that every committed write to the strategies or plans apps replaces, so the next request renders
afresh. Writes are caught by model signals because they come from everywhere (admin, portal,
Excel import, management commands, shell); `queryset.update()` and `bulk_create` send none, so
code that uses them calls `new_generation()` itself.

Keys also carry the language (the labels), today's date (the "late" badge) and a fingerprint of
the section template (a deployment that changes it never serves old HTML). Filtered views are not
cached: their rows depend on the filter, and they are small.
"""

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe

SECTION_TEMPLATE = "plans/_strategy_section.html"
GENERATION_KEY = "plans:tree-generation"
WATCHED_APPS = frozenset({"strategies", "plans"})
# Bounds how long an entry can outlive a code change that the template fingerprint misses.
SECTION_TIMEOUT = 6 * 60 * 60


@dataclass(frozen=True)
class Section:
    html: str
    shown: int
    incomplete: int

    def __str__(self) -> str:
        # The template prints the section as rendered: it was escaped once, when rendering.
        return mark_safe(self.html)  # noqa: S308 (the output of our own template)


def new_generation() -> None:
    """Start a new generation once the current transaction commits.

    After the commit, not before: a request that read the old rows between the bump and the commit
    would otherwise store them under the new generation.
    """
    transaction.on_commit(_replace_generation)


def _replace_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def _pending_generation() -> bool:
    """Whether this transaction has written plan data and will start a new generation.

    One request per transaction is enough (an import saves thousands of rows): a request still
    listed was made inside savepoints that are either released, so they can no longer be rolled
    back, or still open, and then a rollback undoes the later write as well.
    """
    return any(
        callback is _replace_generation for _sids, callback, _robust in connection.run_on_commit
    )


def _on_write(sender, **kwargs) -> None:
    if sender._meta.app_label in WATCHED_APPS and not _pending_generation():
        new_generation()


def connect_signals() -> None:
    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(_on_write, dispatch_uid=f"plans.tree_cache.{signal}")


class _TemplateFingerprint:
    @cached_property
    def value(self) -> str:
        source = Path(get_template(SECTION_TEMPLATE).origin.name).read_bytes()
        return hashlib.sha256(source).hexdigest()[:12]


_fingerprint = _TemplateFingerprint()


def _generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # An emptied or evicted cache starts a generation of its own.
        generation = uuid.uuid4().hex
        cache.add(GENERATION_KEY, generation, None)
        generation = cache.get(GENERATION_KEY, generation)
    return generation


def _key(generation: str, plan, strategy) -> str:
    return ":".join(
        (
            "plans:section",
            generation,
            _fingerprint.value,
            translation.get_language() or "",
            timezone.localdate().isoformat(),
            str(plan.pk),
            str(strategy.pk),
        )
    )


def render_sections(*, plan, goals, filter_form, activities_of) -> list[Section]:
    """Give every strategy under `goals` its rendered section as `strategy.section`.

    `activities_of(strategies)` returns the plan's activities under those strategies, filtered as
    the page asks, ready for the tree (one query set, whatever the number of activities). It is
    called only for the strategies whose section is not cached.
    """
    pairs = [(goal, strategy) for goal in goals for strategy in goal.strategies.all()]
    # A transaction that has written plan data reads its own writes, which others cannot see yet.
    cacheable = plan is not None and not filter_form.is_filtering and not _pending_generation()
    keys = {}
    cached = {}
    if cacheable:
        generation = _generation()
        keys = {strategy.pk: _key(generation, plan, strategy) for _goal, strategy in pairs}
        cached = cache.get_many(keys.values())
    missing = [strategy for _goal, strategy in pairs if keys.get(strategy.pk) not in cached]
    by_strategy = {strategy.pk: [] for strategy in missing}
    if plan is not None and missing:
        for activity in activities_of(missing):
            by_strategy[activity.strategy_id].append(activity)
    rendered = {}
    for goal, strategy in pairs:
        if keys.get(strategy.pk) in cached:
            strategy.section = cached[keys[strategy.pk]]
            continue
        activities = by_strategy[strategy.pk]
        strategy.plan_activities = activities
        strategy.section = Section(
            html=render_to_string(
                SECTION_TEMPLATE,
                {"goal": goal, "strategy": strategy, "plan": plan, "filter_form": filter_form},
            ),
            shown=len(activities),
            incomplete=sum(1 for activity in activities if not activity.is_complete),
        )
        if cacheable:
            rendered[keys[strategy.pk]] = strategy.section
    if rendered:
        cache.set_many(rendered, SECTION_TIMEOUT)
    return [strategy.section for _goal, strategy in pairs]
