"""The navigation between a plan's overviews: the plans app's own and those other apps add
(`plans.overviews.add_overview_page`)."""

from django import template

from plans.overviews import OVERVIEW_PAGES

register = template.Library()


@register.inclusion_tag("plans/overviews/_nav.html")
def overview_nav(declaration, page: str) -> dict:
    return {"declaration": declaration, "page": page, "pages": OVERVIEW_PAGES}
