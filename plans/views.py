"""Portal pages that show a declaration together with its activity plan."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from klockaretorpet import permissions
from klockaretorpet.change_history import change_entries, history_queryset, month_formatter
from klockaretorpet.xlsx import FormulaSafeXLSX
from strategies.models import (
    Goal,
    IntentDeclaration,
    Organisation,
    ProgrammeGoal,
    SuccessFactor,
)

from . import activity_columns, activity_page, overviews, tree_cache
from .forms import ActivityFilterForm
from .models import Activity, ActivityPlan
from .resources import export_activities_workbook


def _declaration(slug: str) -> IntentDeclaration:
    return get_object_or_404(
        IntentDeclaration.objects.select_related("district").prefetch_related("partners"),
        slug=slug,
    )


def _chosen_plan(request, declaration: IntentDeclaration) -> tuple[ActivityPlan | None, list]:
    plans = list(declaration.activity_plans.current_first())
    wanted = request.GET.get("plan")
    chosen = next((plan for plan in plans if str(plan.pk) == wanted), None)
    return chosen or (plans[0] if plans else None), plans


# A plan up to this size reads comfortably with every section open; see `_open_sections`.
OPEN_EVERYTHING_UP_TO = 60


@dataclass(frozen=True)
class SectionCounts:
    """What a collapsed målbild or strategy says of its activities in its summary line."""

    shown: int
    late: int
    incomplete: int


def _open_sections(request, filter_form, goals, *, has_plan: bool, shown_count: int) -> None:
    """Decide which målbild and strategy sections start open (`starts_open`).

    A filtered view is what the reader asked for, and a plan of up to `OPEN_EVERYTHING_UP_TO`
    activities is a few screens long: every section with activities to show starts open. A bigger
    plan opens with its strategies closed, so the page is an outline with counts (303 activities
    open were 29,000 px, 76,000 px on a phone) and the reader opens the strategies they need.
    A section without rows to show starts closed: its summary line says "0 activities" (without
    a plan there are no rows, and the sections hold only the declaration's text: all open).
    `?open=all` and `?open=none` are "Expand all" and "Collapse all" without a script.
    """
    wanted = request.GET.get("open")
    if not has_plan:
        wanted = wanted or "all"
    everything = filter_form.is_filtering or shown_count <= OPEN_EVERYTHING_UP_TO
    for goal in goals:
        strategies = goal.strategies.all()
        for strategy in strategies:
            strategy.starts_open = wanted == "all" or (
                wanted != "none" and everything and bool(strategy.counts.shown)
            )
        goal.starts_open = wanted == "all" or (
            wanted != "none" and (bool(goal.counts.shown) or not strategies)
        )


def _count_sections(goals) -> None:
    """Give every goal and strategy its `counts` for the summary line of its section."""
    for goal in goals:
        strategies = goal.strategies.all()
        for strategy in strategies:
            strategy.counts = SectionCounts(
                shown=strategy.section.shown,
                late=strategy.section.late,
                incomplete=strategy.section.incomplete,
            )
        goal.counts = SectionCounts(
            shown=sum(strategy.counts.shown for strategy in strategies),
            late=sum(strategy.counts.late for strategy in strategies),
            incomplete=sum(strategy.counts.incomplete for strategy in strategies),
        )


def _plan_page_context(request, declaration, goals) -> dict:
    plan, plans = _chosen_plan(request, declaration)
    filter_form = ActivityFilterForm(request.GET or None)

    def activities_of(strategies):
        return (
            activity_columns.annotated(
                filter_form.filter(plan.activities.filter(strategy__in=[s.pk for s in strategies]))
            )
            .for_tree()
            .in_code_order()
        )

    sections = tree_cache.render_sections(
        plan=plan, goals=goals, filter_form=filter_form, activities_of=activities_of
    )
    _count_sections(goals)
    shown_count = sum(section.shown for section in sections)
    _open_sections(request, filter_form, goals, has_plan=plan is not None, shown_count=shown_count)
    return {
        "declaration": declaration,
        "plan": plan,
        "plans": plans,
        "filter_form": filter_form,
        # The one-click "my organisation" filter.
        "my_organisation": Organisation.objects.filter(memberships__user=request.user).first(),
        "shown_count": shown_count,
        "late_count": sum(goal.counts.late for goal in goals),
        "incomplete_count": sum(section.incomplete for section in sections),
    }


def _goals(declaration, **filters) -> list[Goal]:
    return list(declaration.goals.filter(**filters).prefetch_related("strategies"))


@permissions.allowed_when(permissions.can_view)
@require_safe
def declaration_detail(request, slug):
    declaration = _declaration(slug)
    goals = _goals(declaration)
    context = _plan_page_context(request, declaration, goals)
    context.update(
        goals=goals,
        programme_goals=ProgrammeGoal.objects.all(),
        success_factors=SuccessFactor.objects.all(),
        can_copy=permissions.is_plan_admin(request.user),
    )
    return render(request, "plans/declaration_detail.html", context)


@permissions.allowed_when(permissions.can_view)
@require_safe
def declaration_export(request, slug):
    """The declaration page's activities, with its filters, as an .xlsx file."""
    declaration = _declaration(slug)
    plan, _plans = _chosen_plan(request, declaration)
    if plan is None:
        raise Http404
    activities = ActivityFilterForm(request.GET or None).filter(plan.activities.all())
    name, content = export_activities_workbook(activities, declaration_slug=declaration.slug)
    response = HttpResponse(content, content_type=FormulaSafeXLSX().get_content_type())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@permissions.allowed_when(permissions.can_view)
@require_safe
def goal_detail(request, slug, position):
    declaration = _declaration(slug)
    goals = _goals(declaration, position=position)
    if not goals:
        raise Http404
    context = _plan_page_context(request, declaration, goals)
    context["goal"] = goals[0]
    return render(request, "plans/goal_detail.html", context)


@permissions.allowed_when(permissions.can_view)
@require_safe
def activity_detail(request, pk):
    activity = get_object_or_404(
        Activity.objects.for_tree()
        .select_related("plan__declaration__district")
        .prefetch_related("success_factors", "programme_goals"),
        pk=pk,
    )
    history = change_entries(
        list(history_queryset(activity.history)),
        formatters={"planned_start": month_formatter, "planned_end": month_formatter},
    )
    # What other apps add (the follow-up's reports and indicator values): activity_page.py.
    activity_page.attach_indicator_readings(request, activity)
    return render(
        request,
        "plans/activity_detail.html",
        {
            "activity": activity,
            "declaration": activity.plan.declaration,
            "history": history,
            "can_edit": permissions.can_change(request.user, activity),
            "shows_indicator_readings": activity_page.shows_indicator_readings(),
            "sections": activity_page.rendered_sections(request, activity),
        },
    )


@permissions.allowed_when(permissions.can_view)
@require_safe
def activity_edit(request, pk):
    """Activities are edited in the admin, the one editing form for every role; this address
    (in bookmarks and e-mails) leads there after the same permission check."""
    activity = get_object_or_404(Activity.objects.select_related("lead_organisation"), pk=pk)
    if not permissions.can_change(request.user, activity):
        raise PermissionDenied
    return redirect("admin:plans_activity_change", activity.pk)


# --- read-only overviews of the current plan (the dashboard is the follow-up app's) ----------


@permissions.allowed_when(permissions.can_view)
@require_safe
def timeline(request, slug):
    declaration, plan = overviews.declaration_and_plan(slug)
    goals = overviews.goals_of(declaration)
    activities = list(overviews.plan_activities(plan, declaration))
    today = timezone.localdate()
    scale = overviews.TimelineScale.for_plan(plan, activities, today)
    late = overviews.place_on_timeline(goals, activities, scale)
    return render(
        request,
        "plans/overviews/timeline.html",
        {
            "declaration": declaration,
            "plan": plan,
            "goals": goals,
            "scale": scale,
            "late_count": len(late),
            "activity_count": len(activities),
            "today": today,
            "page": "timeline",
        },
    )


@permissions.allowed_when(permissions.can_view)
@require_safe
def coverage(request, slug):
    declaration, plan = overviews.declaration_and_plan(slug)
    goals = overviews.goals_of(declaration)
    activities = overviews.plan_activities(plan, declaration)
    strategy_of = dict(activities.values_list("pk", "strategy_id"))
    return render(
        request,
        "plans/overviews/coverage.html",
        {
            "declaration": declaration,
            "plan": plan,
            "goals": goals,
            "matrices": overviews.coverage_matrices(plan, goals, strategy_of),
            "activity_count": len(strategy_of),
            "page": "coverage",
        },
    )
