"""The rendered strategy sections of the plan pages, cached until what they show changes.

Rendering 500 activity rows is most of a declaration page's time, and the rows change a few
times a week. Each strategy's section is cached under a key made of *generations*: tokens that a
committed write replaces, so the next request renders afresh. A write to one activity (its
fields, its indicators, its organisations) replaces only its strategy's generation, so the first
view after an edit renders one section; a move between strategies replaces both. Writes that can
change every section (an organisation's name, a goal, a strategy, the plan, the declaration) or
that cannot be attributed replace `ALL_SECTIONS`. Another app adds a generation that every
section depends on with `add_section_dependency()`.

Writes are caught by model signals because they come from everywhere (admin, portal, Excel
import, management commands, shell); `queryset.update()` and `bulk_create` send none, so code
that uses them calls `new_generation()` itself. `PLAN_DATA` is replaced by any write and stays
the generation of pages that show the whole plan (reports, the overview).

Keys also carry the language (the labels), today's date (the "late" badge) and a fingerprint of
the section template (a deployment that changes it never serves old HTML). Filtered views are not
cached: their rows depend on the filter, and they are small.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from klockaretorpet.fingerprint import files_fingerprint
from klockaretorpet.generations import Generation, current_tokens
from strategies.models import Organisation

from .activity_columns import ACTIVITY_COLUMNS
from .models import Activity, ActivityCodeSequence, Indicator

SECTION_TEMPLATE = "plans/_strategy_section.html"
# Every plans template a section includes, and the cells other apps add (`activity_columns`),
# name the key: a deployment that changes any of them never serves old HTML.
SECTION_TEMPLATE_FILES = (settings.BASE_DIR / "templates" / "plans",)
# Bounds how long an entry can outlive a code change that the template fingerprint misses.
SECTION_TIMEOUT = 6 * 60 * 60


@dataclass(frozen=True)
class Section:
    html: str
    shown: int
    incomplete: int
    late: int

    def __str__(self) -> str:
        # The template prints the section as rendered: it was escaped once, when rendering.
        return mark_safe(self.html)  # noqa: S308 (the output of our own template)


WATCHED_APPS = frozenset({"strategies", "plans"})
# Every committed write to the strategies or plans apps starts a new generation.
PLAN_DATA = Generation("plans:tree-generation", WATCHED_APPS)
# Writes that may change every section, or that no section can be named for.
ALL_SECTIONS = Generation("plans:sections-generation")
# Generations of other apps that every section shows data of.
_section_dependencies: list[Generation] = []
# The strategy an activity was loaded with, so that a move re-renders the section it left.
_LOADED_STRATEGY = "_strategy_id_as_loaded"


def add_section_dependency(generation: Generation) -> None:
    """Make every section's key name `generation` too, for data of another app it shows."""
    if generation not in _section_dependencies:
        _section_dependencies.append(generation)


def new_generation() -> None:
    """For writes that send no signal (`bulk_create`, `queryset.update()`)."""
    PLAN_DATA.bump()
    ALL_SECTIONS.bump()


def strategy_generation(strategy_pk) -> Generation:
    return Generation(f"plans:section-generation:{strategy_pk}", register=False)


def connect_signals() -> None:
    PLAN_DATA.connect()
    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(_on_write, dispatch_uid=f"plans:sections:{signal}", weak=False)
    post_init.connect(_remember_strategy, sender=Activity, dispatch_uid="plans:sections:init")


def _remember_strategy(sender, instance, **kwargs) -> None:
    # Absent when the field was deferred: a save of such an instance renders every section.
    if "strategy_id" in instance.__dict__:
        instance.__dict__[_LOADED_STRATEGY] = instance.strategy_id


def _on_write(sender, instance=None, **kwargs) -> None:
    if sender._meta.app_label not in WATCHED_APPS or kwargs.get("action", "post_").startswith(
        "pre_"
    ):
        return
    strategies = _strategies_touched(sender, instance, kwargs)
    if strategies is None:
        ALL_SECTIONS.bump_once()
        return
    for strategy_pk in strategies:
        strategy_generation(strategy_pk).bump_once()


def _strategies_touched(sender, instance, kwargs) -> set | None:
    """The strategies whose section a write changes; None for every section."""
    if getattr(sender, "instance_type", None) is not None or sender is ActivityCodeSequence:
        return set()  # history rows and code counters show in no section
    if sender is Activity:
        if _LOADED_STRATEGY not in instance.__dict__:
            return None
        touched = {instance.__dict__[_LOADED_STRATEGY], instance.strategy_id}
        instance.__dict__[_LOADED_STRATEGY] = instance.strategy_id
        return touched
    if sender is Organisation and kwargs.get("created"):
        return set()  # no activity names a new organisation yet
    if sender is Indicator:
        return _strategies_of([instance.activity_id])
    if "action" in kwargs and sender in _ACTIVITY_THROUGH_MODELS:
        if not kwargs["reverse"]:
            return _strategies_touched(Activity, instance, {})
        if kwargs["pk_set"] is None:
            return None  # a reverse clear: the activities are gone from the relation
        return _strategies_of(kwargs["pk_set"])
    return None


def _strategies_of(activity_pks) -> set:
    return set(Activity.objects.filter(pk__in=activity_pks).values_list("strategy_id", flat=True))


_ACTIVITY_THROUGH_MODELS = frozenset(
    field.remote_field.through for field in Activity._meta.many_to_many
)


def _key(generations: str, plan, strategy) -> str:
    return ":".join(
        (
            "plans:section",
            generations,
            files_fingerprint(
                *SECTION_TEMPLATE_FILES,
                *(settings.BASE_DIR / "templates" / c.cell_template for c in ACTIVITY_COLUMNS),
            ),
            translation.get_language() or "",
            timezone.localdate().isoformat(),
            str(plan.pk),
            str(strategy.pk),
        )
    )


def _keys(plan, strategies) -> dict[int, str]:
    common = [ALL_SECTIONS.key, *(generation.key for generation in _section_dependencies)]
    own = {strategy.pk: strategy_generation(strategy.pk).key for strategy in strategies}
    tokens = current_tokens([*common, *own.values()])
    shared = ":".join(tokens[key] for key in common)
    return {
        strategy.pk: _key(f"{shared}:{tokens[own[strategy.pk]]}", plan, strategy)
        for strategy in strategies
    }


def render_sections(*, plan, goals, filter_form, activities_of) -> list[Section]:
    """Give every strategy under `goals` its rendered section as `strategy.section`.

    `activities_of(strategies)` returns the plan's activities under those strategies, filtered as
    the page asks, ready for the tree (one query set, whatever the number of activities). It is
    called only for the strategies whose section is not cached.
    """
    pairs = [(goal, strategy) for goal in goals for strategy in goal.strategies.all()]
    # A transaction that has written plan data reads its own writes, which others cannot see yet.
    cacheable = (
        plan is not None
        and not filter_form.is_filtering
        and not any(generation.pending() for generation in (PLAN_DATA, *_section_dependencies))
    )
    sections: dict[int, Section] = {}
    keys: dict[int, str] = {}
    if cacheable:
        keys = _keys(plan, [strategy for _goal, strategy in pairs])
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
                {
                    "goal": goal,
                    "strategy": strategy,
                    "plan": plan,
                    "filter_form": filter_form,
                    "columns": ACTIVITY_COLUMNS,
                },
            ),
            shown=len(activities),
            incomplete=sum(1 for activity in activities if not activity.is_complete),
            late=sum(1 for activity in activities if activity.is_late),
        )
        if cacheable:
            rendered[keys[strategy.pk]] = sections[strategy.pk]
    if rendered:
        cache.set_many(rendered, SECTION_TIMEOUT)
    for _goal, strategy in pairs:
        strategy.section = sections[strategy.pk]
    return [strategy.section for _goal, strategy in pairs]
