"""The plan's state and an editor's tasks, as tags: the start page (strategies) and the
declaration page (plans) show them without those apps knowing the follow-up."""

from django import template

from ..models import Assessment
from ..status import current_plans, my_tasks, plan_status

register = template.Library()


@register.inclusion_tag("followup/_status_strip.html")
def plan_status_strip(plan, heading_level=2, linked_title=False):
    return {
        "status": plan_status(plan) if plan is not None else None,
        "heading_level": heading_level,
        "linked_title": linked_title,
    }


@register.inclusion_tag("followup/_start_page.html", takes_context=True)
def start_page_overview(context):
    """Every current plan's status strip and, for an editor, their tasks across those plans."""
    plans = current_plans()
    return {
        "statuses": [plan_status(plan) for plan in plans],
        "tasks": my_tasks(context["request"].user, plans),
        "request": context["request"],
    }


@register.filter
def assessment_label(value: str) -> str:
    """The words of a stored assessment ("deviation" → "avvikelse")."""
    return Assessment(value).label if value in Assessment.values else value
