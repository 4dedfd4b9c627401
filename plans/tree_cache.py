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

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from klockaretorpet.fingerprint import files_fingerprint

SECTION_TEMPLATE = "plans/_strategy_section.html"
SECTION_TEMPLATE_FILE = settings.BASE_DIR / "templates" / SECTION_TEMPLATE
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
            files_fingerprint(SECTION_TEMPLATE_FILE),
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
    sections: dict[int, Section] = {}
    keys: dict[int, str] = {}
    if cacheable:
        generation = _generation()
        keys = {strategy.pk: _key(generation, plan, strategy) for _goal, strategy in pairs}
        found = cache.get_many(keys.values())
        sections = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [(goal, strategy) for goal, strategy in pairs if strategy.pk not in sections]
    by_strategy = {strategy.pk: [] for _goal, strategy in missing}
    if plan is not None and missing:
        for activity in activities_of([strategy for _goal, strategy in missing]):
            by_strategy[activity.strategy_id].append(activity)
    rendered = {}
    for goal, strategy in missing:
        strategy.plan_activities = activities = by_strategy[strategy.pk]
        sections[strategy.pk] = Section(
            html=render_to_string(
                SECTION_TEMPLATE,
                {"goal": goal, "strategy": strategy, "plan": plan, "filter_form": filter_form},
            ),
            shown=len(activities),
            incomplete=sum(1 for activity in activities if not activity.is_complete),
        )
        if cacheable:
            rendered[keys[strategy.pk]] = sections[strategy.pk]
    if rendered:
        cache.set_many(rendered, SECTION_TIMEOUT)
    for _goal, strategy in pairs:
        strategy.section = sections[strategy.pk]
    return [strategy.section for _goal, strategy in pairs]
