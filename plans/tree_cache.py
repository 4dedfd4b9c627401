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

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from klockaretorpet.fingerprint import files_fingerprint
from klockaretorpet.generations import Generation

SECTION_TEMPLATE = "plans/_strategy_section.html"
SECTION_TEMPLATE_FILE = settings.BASE_DIR / "templates" / SECTION_TEMPLATE
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


# Every committed write to the strategies or plans apps starts a new generation.
PLAN_DATA = Generation("plans:tree-generation", frozenset({"strategies", "plans"}))


def new_generation() -> None:
    """For writes that send no signal (`bulk_create`, `queryset.update()`)."""
    PLAN_DATA.bump()


def connect_signals() -> None:
    PLAN_DATA.connect()


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
    cacheable = plan is not None and not filter_form.is_filtering and not PLAN_DATA.pending()
    sections: dict[int, Section] = {}
    keys: dict[int, str] = {}
    if cacheable:
        generation = PLAN_DATA.current()
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
