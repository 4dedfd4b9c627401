"""The portal's URLs and two views no production URLconf has: one that answers with the worker's
process id, and one that runs far longer than gunicorn's timeout (`tests/test_serving.py`)."""

import os
import time

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path

RUNS_FOR_SECONDS = 60


@login_not_required
def worker_pid(request):
    return HttpResponse(str(os.getpid()), content_type="text/plain")


@login_not_required
def slow(request, how):
    # As a request that waits (for the database) or computes (WeasyPrint laying out pages).
    deadline = time.monotonic() + RUNS_FOR_SECONDS
    if how == "waits":
        time.sleep(RUNS_FOR_SECONDS)
    else:
        while time.monotonic() < deadline:
            pass
    return HttpResponse("finished", content_type="text/plain")


urlpatterns = [
    path("test/worker-pid/", worker_pid),
    path("test/slow/<str:how>/", slow),
    path("", include("klockaretorpet.urls")),
]
