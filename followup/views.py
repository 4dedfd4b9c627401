"""Portal pages of the follow-up: a round's reporting state, an activity's report, and the
differences between two plan versions."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from klockaretorpet import pending_uploads, permissions
from klockaretorpet.concurrency import StaleObjectError
from klockaretorpet.sheet_import import RowKind
from klockaretorpet.xlsx import FormulaSafeXLSX
from plans.models import Activity, ActivityPlan
from strategies.models import Organisation

from .forms import (
    CloseRoundForm,
    OrganisationFilterForm,
    ReportState,
    ReviewForm,
    RevisionForm,
    RoundFilterForm,
    RoundImportForm,
)
from .models import ActivityReview, FollowUp, PlanVersion
from .progress import RoundProgress
from .reports import ReportBeingRendered, followup_report_pdf, plan_report_pdf
from .resources import export_round_workbook, import_round, read_round_sheet
from .rounds import (
    UnreportedActivities,
    close_round,
    save_review,
    unreported_activities,
    write_revision,
)
from .snapshots import diff_snapshots
from .versions import SnapshotSchemaError

logger = logging.getLogger(__name__)


def _round(pk: int) -> FollowUp:
    return get_object_or_404(FollowUp.objects.for_page(), pk=pk)


# The round page's list of everything, without the defaults an editor gets.
SHOW_ALL_QUERY = "?organisation=&state="


@permissions.allowed_when(permissions.can_view)
@require_safe
def round_detail(request, pk):
    follow_up = _round(pk)
    progress = RoundProgress(follow_up, user=request.user)
    organisations = progress.lead_organisations()
    own_organisation = Organisation.objects.filter(memberships__user=request.user).first()
    # Any parameter, even an empty choice, is the user's own: defaults only for a bare URL.
    defaults = (
        None if request.GET else _editor_defaults(request.user, own_organisation, organisations)
    )
    filter_form = RoundFilterForm(request.GET or defaults, organisations=organisations)
    chosen, state = None, ""
    if filter_form.is_valid():
        chosen, state = filter_form.cleaned_data["organisation"], filter_form.cleaned_data["state"]
    reported = {ReportState.REPORTED: True, ReportState.NOT_REPORTED: False}.get(state)
    return render(
        request,
        "followup/round_detail.html",
        {
            "follow_up": follow_up,
            "declaration": follow_up.plan.declaration,
            "activities": progress.filtered(chosen, reported=reported),
            "filter_form": filter_form,
            "filtered": chosen is not None or reported is not None,
            "by_default": defaults is not None,
            "show_all_query": SHOW_ALL_QUERY,
            "total": progress.total,
            "organisation_progress": progress.per_organisation,
            "goal_progress": progress.per_goal,
            "version": getattr(follow_up, "version", None) if not follow_up.is_open else None,
            "can_close": permissions.can_close_round(request.user, follow_up),
            "can_import": permissions.can_import_round(request.user, follow_up),
            "own_organisation": own_organisation,
        },
    )


def _editor_defaults(user, own_organisation, organisations) -> dict[str, str] | None:
    """An editor comes to report: their organisation's activities that are not reported yet.
    Plan administrators and readers see every activity."""
    if permissions.role_of(user) != permissions.Role.EDITOR or own_organisation is None:
        return None
    defaults = {"state": ReportState.NOT_REPORTED, "organisation": ""}
    if organisations.filter(pk=own_organisation.pk).exists():
        defaults["organisation"] = str(own_organisation.pk)
    return defaults


@permissions.allowed_when(permissions.can_view)
def review_edit(request, pk, activity_pk):
    follow_up = _round(pk)
    activity = get_object_or_404(
        Activity.objects.for_review(), pk=activity_pk, plan=follow_up.plan_id
    )
    review = follow_up.reviews.of_activity(activity)
    may_report = permissions.can_report(request.user, follow_up, activity)
    if request.method == "POST" and not may_report:
        raise PermissionDenied
    indicators = list(activity.indicators.all())
    values = review.actual_values() if review else {}
    form = None
    if may_report:
        form = ReviewForm(
            request.POST or None,
            instance=review or ActivityReview.draft(follow_up, activity),
            indicators=indicators,
            values=values,
        )
        if request.method == "POST" and form.is_valid() and _saved(request, form, activity):
            return redirect(_after_saving(request, follow_up, activity))
    return render(
        request,
        "followup/review_form.html",
        {
            "follow_up": follow_up,
            "declaration": follow_up.plan.declaration,
            "activity": activity,
            "review": review,
            "form": form,
            "indicator_rows": [(indicator, values.get(indicator.pk)) for indicator in indicators],
            "previous": ActivityReview.objects.previous_of(follow_up, activity) if form else None,
        },
    )


def _saved(request, form: ReviewForm, activity: Activity) -> bool:
    """Save the valid report; False, with the form telling why, when someone saved first."""
    try:
        save_review(form.save(commit=False), actual_values=form.actual_values(), user=request.user)
    except StaleObjectError as stale:
        form.add_error(None, str(stale))
        return False
    return True


def _after_saving(request, follow_up: FollowUp, saved: Activity) -> str:
    """Where a reporter goes on: the next activity they may report that nobody has, or back to
    the saved one's row in the round's list."""
    following = RoundProgress(follow_up, user=request.user).next_to_report(after=saved)
    if following is None:
        messages.success(
            request,
            _("The report for %(code)s was saved.") % {"code": saved.reference_code},
        )
        round_page = reverse("followup:round-detail", kwargs={"pk": follow_up.pk})
        return f"{round_page}{SHOW_ALL_QUERY}#aktivitet-{saved.pk}"
    messages.success(
        request,
        _(
            "The report for %(code)s was saved. This is %(next)s, the next of your activities "
            "that is not reported."
        )
        % {"code": saved.reference_code, "next": following.reference_code},
    )
    return reverse("followup:review-edit", kwargs={"pk": follow_up.pk, "activity_pk": following.pk})


@permissions.allowed_when(permissions.can_view)
@require_safe
def version_diff(request, pk):
    version = get_object_or_404(
        PlanVersion.objects.select_related("plan__declaration__district", "created_by"), pk=pk
    )
    others = list(
        version.plan.versions.exclude(pk=version.pk)
        .only("pk", "number", "kind", "created_at", "plan_id")
        .order_by("-number")
    )
    wanted = request.GET.get("mot")
    older = next((v for v in others if str(v.number) == wanted), None) or next(
        (v for v in others if v.number < version.number), None
    )
    diff, unreadable = None, False
    try:
        newer_data = version.plan_data()
        if older is not None:
            older = PlanVersion.objects.get(pk=older.pk)
            diff = diff_snapshots(older.plan_data(), newer_data)
    except SnapshotSchemaError as error:
        _log_unreadable(error)
        unreadable = True
    return render(
        request,
        "followup/version_diff.html",
        {
            "version": version,
            "older": older,
            "others": others,
            "declaration": version.plan.declaration,
            "diff": diff,
            "changed": diff.readable_changes() if diff else [],
            "unreadable": unreadable,
        },
    )


def _log_unreadable(error: SnapshotSchemaError) -> None:
    # Data newer than the code (a release rolled back): the people running the portal must know.
    logger.error("A plan version cannot be read: %s", error)


@permissions.allowed_when(permissions.is_plan_admin)
def round_close(request, pk):
    """Close the round and write its plan version; with unreported activities only when the
    administrator gives the reason."""
    follow_up = _round(pk)
    if not permissions.can_close_round(request.user, follow_up):
        raise PermissionDenied
    missing = list(unreported_activities(follow_up))
    form = CloseRoundForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            version = close_round(follow_up, user=request.user, reason=form.cleaned_data["reason"])
        except UnreportedActivities as refused:
            form.add_error("reason", refused.messages[0])
        else:
            messages.success(
                request,
                _("The follow-up was closed and version %(number)d of the plan was written.")
                % {"number": version.number},
            )
            return redirect("followup:round-detail", pk=follow_up.pk)
    return render(
        request,
        "followup/round_close.html",
        {
            "follow_up": follow_up,
            "declaration": follow_up.plan.declaration,
            "missing": missing,
            "form": form,
        },
    )


@permissions.allowed_when(permissions.is_plan_admin)
def plan_revision(request, plan_pk):
    """Freeze the plan as it is now as a revision, with the decision behind it."""
    plan = get_object_or_404(
        ActivityPlan.objects.select_related("declaration__district"), pk=plan_pk
    )
    form = RevisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        version = write_revision(plan, user=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("Version %(number)d of the plan was written.") % {"number": version.number},
        )
        return redirect("followup:version-diff", pk=version.pk)
    return render(
        request,
        "followup/plan_revision.html",
        {"plan": plan, "declaration": plan.declaration, "form": form},
    )


# When a report another request is rendering will most likely be ready.
REPORT_RETRY_AFTER_SECONDS = 30


def _pdf(request, make_pdf) -> HttpResponse:
    """The PDF in the language asked for (`?lang=en`), else in the portal's language (Swedish
    unless the user chose English); pages about it in the portal's."""
    asked = request.GET.get("lang", "")
    language = asked if asked in dict(settings.LANGUAGES) else translation.get_language()
    try:
        with translation.override(language):
            name, content = make_pdf()
    except ReportBeingRendered:
        busy = render(request, "followup/report_being_rendered.html", status=503)
        busy["Retry-After"] = str(REPORT_RETRY_AFTER_SECONDS)
        return busy
    except SnapshotSchemaError as error:
        _log_unreadable(error)
        # This release does not implement the version's shape; a newer one does.
        return render(request, "followup/version_unreadable.html", status=501)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@permissions.allowed_when(permissions.can_view)
@require_safe
def round_report(request, pk):
    """The round's report for the review meeting; a closed round's from its version.
    `?short=1` is the *Kortversion*, without the activities' pages."""
    follow_up = _round(pk)
    short = request.GET.get("short") == "1"
    return _pdf(request, lambda: followup_report_pdf(follow_up, short=short))


@permissions.allowed_when(permissions.can_view)
@require_safe
def version_plan_report(request, pk):
    version = get_object_or_404(PlanVersion.objects.select_related("plan"), pk=pk)
    return _pdf(request, lambda: plan_report_pdf(version.plan, version=version))


@permissions.allowed_when(permissions.can_view)
@require_safe
def plan_report(request, plan_pk):
    plan = get_object_or_404(ActivityPlan, pk=plan_pk)
    return _pdf(request, lambda: plan_report_pdf(plan))


@permissions.allowed_when(permissions.can_view)
@require_safe
def round_export(request, pk):
    """The round's sheet, pre-filled: for one organisation (and its units) or all."""
    follow_up = _round(pk)
    chosen = OrganisationFilterForm(request.GET, organisations=Organisation.objects.all())
    if not chosen.is_valid():
        raise Http404(_("There is no such organisation."))
    organisation = chosen.cleaned_data["organisation"]
    name, content = export_round_workbook(follow_up, organisation)
    response = HttpResponse(content, content_type=FormulaSafeXLSX().get_content_type())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@permissions.allowed_when(permissions.can_view)
def round_import(request, pk):
    """Upload a filled-in sheet, see the preview, then confirm: every row or none."""
    follow_up = _round(pk)
    if not permissions.can_import_round(request.user, follow_up):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("token"):
        return _confirm_import(request, follow_up, token=request.POST["token"])
    if request.method == "POST":
        return _preview_import(request, follow_up)
    return _import_page(request, follow_up, RoundImportForm())


def _preview_import(request, follow_up: FollowUp) -> HttpResponse:
    """Try the uploaded sheet without writing; keep it for the confirmation if it would do."""
    form = RoundImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, follow_up, form)
    upload = form.cleaned_data["import_file"]
    file_name, content = upload.name, upload.read()
    try:
        outcome = _import(follow_up, request.user, file_name, content, dry_run=True)
    except ValidationError as unreadable:
        form.add_error("import_file", unreadable)
        return _import_page(request, follow_up, form, file_name=file_name)
    # Kept only for a preview that can be confirmed.
    token = (
        pending_uploads.keep(user=request.user, content=content, file_name=file_name)
        if outcome.ok
        else ""
    )
    return _import_page(request, follow_up, form, outcome=outcome, token=token, file_name=file_name)


def _confirm_import(request, follow_up: FollowUp, *, token: str) -> HttpResponse:
    """Import the previewed sheet for real: every row or none."""
    pending = pending_uploads.find(user=request.user, token=token)
    if pending is None:
        messages.error(request, _("The preview has expired. Upload the file again."))
        return redirect("followup:round-import", pk=follow_up.pk)
    try:
        outcome = _import(
            follow_up, request.user, pending.file_name, pending.content, dry_run=False
        )
    finally:
        # Imported or refused, the file is not needed again: a new try starts from an upload.
        pending_uploads.discard(user=request.user, token=pending.token)
    if not outcome.ok:
        return _import_page(
            request, follow_up, RoundImportForm(), outcome=outcome, file_name=pending.file_name
        )
    messages.success(
        request,
        _("The reports were imported: %(new)d new, %(changed)d changed.")
        % {"new": outcome.counts[RowKind.NEW], "changed": outcome.counts[RowKind.CHANGED]},
    )
    return redirect("followup:round-detail", pk=follow_up.pk)


def _import_page(
    request, follow_up: FollowUp, form: RoundImportForm, *, outcome=None, token="", file_name=""
) -> HttpResponse:
    return render(
        request,
        "followup/round_import.html",
        {
            "follow_up": follow_up,
            "declaration": follow_up.plan.declaration,
            "form": form,
            "outcome": outcome,
            "token": token,
            "file_name": file_name,
        },
    )


def _import(follow_up, user, file_name: str, content: bytes, *, dry_run: bool):
    dataset = read_round_sheet(SimpleUploadedFile(file_name, content))
    return import_round(follow_up=follow_up, dataset=dataset, user=user, dry_run=dry_run)
