"""The naive baseline: the declaration page as a plain Django view would render it.

The same rows and columns as the portal's declaration page, in the same base layout, fetched with
select_related/prefetch_related (no N+1) and rendered by one plain template on every request, with
no caching. Benchmarks compare the portal against it, so the ratio does not depend on the machine.
"""

from django.shortcuts import get_object_or_404, render

from plans.models import Activity
from strategies.models import IntentDeclaration


def naive_declaration(request, slug):
    declaration = get_object_or_404(IntentDeclaration, slug=slug)
    plan = declaration.activity_plans.first()
    activities = (
        Activity.objects.filter(plan=plan)
        .select_related("strategy__goal", "lead_organisation")
        .prefetch_related("co_organisations")
        .order_by("code_prefix", "code_serial")
    )
    return render(
        request,
        "naive/declaration.html",
        {"declaration": declaration, "plan": plan, "activities": activities},
    )
