from django.db.models import Prefetch
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_safe
from django.views.generic import DetailView

from klockaretorpet import permissions

from .models import District, IntentDeclaration


@permissions.allowed_when(permissions.can_view)
@require_safe
def home(request):
    districts = District.objects.prefetch_related(
        Prefetch("declarations", queryset=IntentDeclaration.objects.order_by("-adopted_on"))
    )
    return render(request, "strategies/home.html", {"districts": districts})


@method_decorator(permissions.allowed_when(permissions.can_view), name="dispatch")
class DistrictDetailView(DetailView):
    http_method_names = ["get", "head", "options"]
    model = District
    queryset = District.objects.prefetch_related(
        Prefetch(
            "declarations",
            queryset=IntentDeclaration.objects.prefetch_related("partners").order_by("-adopted_on"),
        )
    )
