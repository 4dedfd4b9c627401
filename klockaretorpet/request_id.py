"""One id per request, on the response and on every log line written while it is handled, so the
load balancer's, gunicorn's and the portal's logs of one request can be found together."""

import contextvars
import logging
import re
import uuid

from django.core.signals import request_finished
from django.dispatch import receiver

HEADER = "X-Request-ID"
# What a load balancer or proxy sends (a uuid, nginx's $request_id, a trace id) fits; anything
# longer or with other characters could forge or break log lines, so it is replaced.
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# A context variable, not a thread-local: correct for gunicorn's threads and for ASGI alike.
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def request_id_from(incoming: str | None) -> str:
    if incoming and SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every response carries the id, the 503 page of a database outage
    included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id
        # Not reset on the way out: Django logs a 4xx/5xx response ("Not Found: …") after the
        # last middleware has returned. request_finished clears it once the response is sent.
        current_request_id.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


@receiver(request_finished, dispatch_uid="klockaretorpet.request_id.forget")
def forget_request_id(**kwargs) -> None:
    current_request_id.set("-")


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on every record ("-" outside a request), so a formatter can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
