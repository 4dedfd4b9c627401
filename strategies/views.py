from django.db.models import Prefetch
from django.shortcuts import render
from django.views.generic import DetailView

from .models import District, IntentDeclaration


def home(request):
    districts = District.objects.prefetch_related(
        Prefetch("declarations", queryset=IntentDeclaration.objects.order_by("-adopted_on"))
    )
    return render(request, "strategies/home.html", {"districts": districts})


class DistrictDetailView(DetailView):
    model = District
    queryset = District.objects.prefetch_related(
        Prefetch(
            "declarations",
            queryset=IntentDeclaration.objects.prefetch_related("partners").order_by("-adopted_on"),
        )
    )
