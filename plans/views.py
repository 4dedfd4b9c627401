"""Portal pages that show a declaration together with its activity plan."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from klockaretorpet import permissions
from klockaretorpet.change_history import change_entries, history_queryset, month_formatter
from klockaretorpet.concurrency import StaleObjectError
from klockaretorpet.xlsx import FormulaSafeXLSX
from strategies.models import (
    Goal,
    IntentDeclaration,
    Organisation,
    ProgrammeGoal,
    SuccessFactor,
)

from . import activity_page, overviews, tree_cache
from .forms import ActivityFilterForm, ActivityPortalForm
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


def _plan_page_context(request, declaration, goals) -> dict:
    plan, plans = _chosen_plan(request, declaration)
    filter_form = ActivityFilterForm(request.GET or None)

    def activities_of(strategies):
        return (
            filter_form.filter(plan.activities.filter(strategy__in=[s.pk for s in strategies]))
            .for_tree()
            .in_code_order()
        )

    sections = tree_cache.render_sections(
        plan=plan, goals=goals, filter_form=filter_form, activities_of=activities_of
    )
    return {
        "declaration": declaration,
        "plan": plan,
        "plans": plans,
        "filter_form": filter_form,
        # The one-click "my organisation" filter.
        "my_organisation": Organisation.objects.filter(memberships__user=request.user).first(),
        "shown_count": sum(section.shown for section in sections),
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
def activity_edit(request, pk):
    activity = get_object_or_404(
        Activity.objects.select_related(
            "plan__declaration__district", "strategy__goal"
        ).prefetch_related("co_organisations"),
        pk=pk,
    )
    if not permissions.can_change(request.user, activity):
        raise PermissionDenied
    form = ActivityPortalForm(request.POST or None, instance=activity)
    if request.method == "POST" and form.is_valid():
        if not permissions.can_change_fields(request.user, activity, form.changed_data):
            raise PermissionDenied
        try:
            form.save()
        except StaleObjectError as stale:
            form.add_error(None, str(stale))
        else:
            messages.success(request, _("The activity was saved."))
            return redirect(activity)
    return render(
        request,
        "plans/activity_form.html",
        {"activity": activity, "declaration": activity.plan.declaration, "form": form},
    )


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
