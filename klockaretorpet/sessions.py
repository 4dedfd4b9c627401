"""Sessions end after a time without use, not at a fixed hour after login (WCAG 2.2.1).

Every request of a logged-in user renews the session, but at most once per renewal interval, so a
page view does not write the session row each time. The page is told when its session ends
(`session_timing`); static/js/session.js warns before that, offers to continue, and keeps what
was typed when the end comes anyway.

A sign-in may also set a latest end (`set_latest_end`) that use does not push back: a sign-in
through an organisation's provider lasts at most so long, so that an account closed there stops
working here by then.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import JsonResponse
from django.views.decorators.http import require_POST

RENEWED_AT = "session_renewed_at"
LATEST_END = "session_latest_end"


def renewal_interval() -> int:
    # A minute with the 8-hour default; a tenth of the length with the seconds a test uses.
    return min(60, max(1, settings.SESSION_COOKIE_AGE // 10))


def renew(session) -> None:
    # Changing the session is what makes Django save it with a new end, SESSION_COOKIE_AGE from
    # now (set_expiry would also turn the browser-session cookie into a lasting one).
    session[RENEWED_AT] = int(time.time())


def set_latest_end(session, timestamp: int) -> None:
    session[LATEST_END] = int(timestamp)


def has_reached_its_latest_end(session) -> bool:
    latest_end = session.get(LATEST_END)
    return latest_end is not None and int(time.time()) >= latest_end


def seconds_left(session) -> int:
    renewed_at = session.get(RENEWED_AT)
    if renewed_at is None:
        left = settings.SESSION_COOKIE_AGE
    else:
        left = max(0, renewed_at + settings.SESSION_COOKIE_AGE - int(time.time()))
    latest_end = session.get(LATEST_END)
    if latest_end is not None:
        left = min(left, max(0, latest_end - int(time.time())))
    return left


@receiver(user_logged_in)
def start_the_clock(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        renew(request.session)


class RenewSessionOnUseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and has_reached_its_latest_end(request.session)
        ):
            # Then the login wall (or the page's own check) treats the request as anonymous.
            logout(request)
        elif user is not None and user.is_authenticated:
            renewed_at = request.session.get(RENEWED_AT, 0)
            if int(time.time()) - renewed_at >= renewal_interval():
                renew(request.session)
        return self.get_response(request)


@login_not_required
@require_POST
def extend_session(request):
    """The warning's "continue" button: renews the session now and says how long it lasts."""
    if not request.user.is_authenticated:
        return JsonResponse({"seconds_left": 0}, status=401)
    if has_reached_its_latest_end(request.session):
        logout(request)
        return JsonResponse({"seconds_left": 0}, status=401)
    renew(request.session)
    return JsonResponse({"seconds_left": seconds_left(request.session)})


def session_timing(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "session_seconds_left": seconds_left(request.session),
        "session_warning_seconds": settings.SESSION_WARNING_SECONDS,
    }
