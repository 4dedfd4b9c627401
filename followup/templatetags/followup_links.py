"""The plan bar's follow-up links, as a tag so that the plans app need not know the follow-up."""

from django import template

from klockaretorpet import permissions

register = template.Library()


@register.inclusion_tag("followup/_plan_links.html", takes_context=True)
def plan_followup_links(context, plan):
    user = context["request"].user
    return {
        "plan": plan,
        "rounds": plan.follow_ups.only("pk", "year", "state", "plan_id").order_by("-year"),
        # Only what a link needs: a version's snapshot can be large.
        "versions": plan.versions.only("pk", "number", "plan_id").order_by("-number"),
        "can_write_revision": permissions.is_plan_admin(user),
    }
