"""Pages that span every app: the audit trail and the retention routine (plan administrators),
the accessibility statement (everyone), the health check and the server error page."""

import sys

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_safe

from klockaretorpet import permissions
from klockaretorpet.audit import PAGE_SIZE, Cursor, organisation_choices, recent_changes
from klockaretorpet.personal_data import REPLACEMENT, erase_name


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        label=gettext_lazy("Changed by"),
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label=gettext_lazy("Everyone"),
    )
    # Its choices come from the app that keeps memberships (see `__init__`).
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All organisations"),
    )
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    until = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = organisation_choices()
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("since") and cleaned.get("until") and cleaned["until"] < cleaned["since"]:
            self.add_error("until", _("The end date cannot be before the start date."))
        return cleaned


# The GET parameter that carries where the previous page ended (audit.Cursor).
OLDER_THAN = "before"


@permissions.allowed_when(permissions.can_view_audit)
@require_safe
def audit_recent_changes(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {key: value for key, value in filters.items() if value}
    cursor_error = None
    after = None
    if OLDER_THAN in request.GET:
        try:
            after = Cursor.parse(request.GET[OLDER_THAN])
        except ValueError:
            cursor_error = _(
                "The link to older changes is not valid (perhaps shortened or edited). "
                "The newest changes are shown instead."
            )
    page = recent_changes(**filters, after=after)
    older_url = newest_url = None
    if page.older is not None:
        query = request.GET.copy()
        query[OLDER_THAN] = str(page.older)
        older_url = f"?{query.urlencode()}"
    if after is not None or cursor_error:
        query = request.GET.copy()
        query.pop(OLDER_THAN, None)
        newest_url = f"?{query.urlencode()}"
    return render(
        request,
        "audit/recent_changes.html",
        {
            "form": form,
            "rows": page.rows,
            "page_size": PAGE_SIZE,
            "older_url": older_url,
            "newest_url": newest_url,
            "cursor_error": cursor_error,
        },
        status=400 if cursor_error else 200,
    )


class EraseNameForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name to remove"),
        min_length=3,
        max_length=200,
        help_text=gettext_lazy("The person's name exactly as it was written, e.g. “Eva Ek”."),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, remove the name from current records and from the history"),
        required=False,
    )


@permissions.allowed_when(permissions.can_erase_personal_data)
def audit_erase_name(request):
    form = EraseNameForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        if form.cleaned_data["confirm"]:
            counts = erase_name(name=name, dry_run=False, user=request.user)
            total = sum(count.current + count.history for count in counts)
            messages.success(
                request,
                _("“%(name)s” was replaced by “%(replacement)s” in %(total)d rows.")
                % {"name": name, "replacement": REPLACEMENT, "total": total},
            )
            return redirect("audit:erase-name")
        # Only the places that hold the name: the apps declare many.
        preview = [
            count for count in erase_name(name=name, dry_run=True) if count.current or count.history
        ]
    return render(request, "audit/erase_name.html", {"form": form, "preview": preview})


@login_not_required
@require_safe
def accessibility_statement(request):
    """Tillgänglighetsredogörelse in DIGG's format. Its text is a document, not interface
    strings, so each language has a template of its own."""
    language = "en" if get_language() == "en" else "sv"
    return render(request, f"accessibility_statement_{language}.html")


@login_not_required
@require_safe
def healthz(request):
    """For the load balancer: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


# How long a browser or load balancer should wait before asking again during a database outage.
RETRY_AFTER_SECONDS = 30


def is_database_unavailable(exc: BaseException | None) -> bool:
    """True when `exc`, or an exception it was raised from, means the database cannot serve us
    now (down, restarting, our connection killed, out of connections) rather than a fault in the
    page. PostgreSQL's connection failures, shutdowns and "too many connections" arrive as
    operational errors (psycopg maps SQLSTATE classes 08, 53 and 57 to them); interface errors
    mean the connection is closed."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request):
    """handler500. Django calls it while the exception is still being handled, wherever it was
    raised (a view, a template, or the session, authentication or login middleware, which all
    read the database first), so the database being out of reach can be told apart here: the
    visitor gets "try again later" with 503 and Retry-After instead of "something went wrong".
    Django logs the exception itself when this returns (django.request, ERROR, traceback)."""
    if not is_database_unavailable(sys.exc_info()[1]):
        return defaults.server_error(request)
    # Rendered without the request: context processors would ask for the user, i.e. the database.
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
