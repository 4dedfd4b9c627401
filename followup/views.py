"""Portal pages of the follow-up: a round's reporting state, an activity's report, and the
differences between two plan versions."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from klockaretorpet import pending_uploads, permissions
from klockaretorpet.concurrency import StaleObjectError
from klockaretorpet.xlsx import FormulaSafeXLSX
from plans.models import Activity, ActivityPlan, Indicator
from strategies.models import Organisation

from .forms import (
    CloseRoundForm,
    OrganisationFilterForm,
    ReviewForm,
    RevisionForm,
    RoundImportForm,
)
from .models import ActivityReview, FollowUp, PlanVersion
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


@dataclass
class Progress:
    label: str
    reported: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.reported / self.total) if self.total else 100


def _round(pk: int) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.select_related("plan__declaration__district", "closed_by"), pk=pk
    )


@permissions.allowed_when(permissions.can_view)
@require_safe
def round_detail(request, pk):
    follow_up = _round(pk)
    plan = follow_up.plan
    activities = list(
        plan.activities.select_related("strategy__goal", "lead_organisation__parent")
        .prefetch_related("co_organisations")
        .in_code_order()
    )
    reviews = {
        review.activity_id: review
        for review in follow_up.reviews.select_related("reviewed_by").only(
            "activity_id", "assessment", "reviewed_at", "reviewed_by", "follow_up_id"
        )
    }
    parents = dict(Organisation.objects.values_list("pk", "parent"))
    # The lead organisations and those they belong to: "Norrköpings kommun" shows its units'.
    choices = set()
    for organisation in {a.lead_organisation_id for a in activities if a.lead_organisation_id}:
        while organisation is not None and organisation not in choices:
            choices.add(organisation)
            organisation = parents.get(organisation)
    filter_form = OrganisationFilterForm(
        request.GET or None, organisations=Organisation.objects.filter(pk__in=choices)
    )
    chosen = filter_form.cleaned_data["organisation"] if filter_form.is_valid() else None

    by_organisation, by_goal = Counter(), Counter()
    reported_by_organisation, reported_by_goal = Counter(), Counter()
    goals = {}
    for activity in activities:
        activity.review = reviews.get(activity.pk)
        activity.can_report = permissions.can_report(request.user, follow_up, activity)
        organisation = activity.lead_organisation.name if activity.lead_organisation else ""
        goal = activity.strategy.goal
        goals[goal.pk] = goal
        by_organisation[organisation] += 1
        by_goal[goal.pk] += 1
        if activity.review:
            reported_by_organisation[organisation] += 1
            reported_by_goal[goal.pk] += 1
    shown = activities
    if chosen is not None:
        units = Organisation.objects.ids_with_units(chosen.pk)
        shown = [a for a in activities if a.lead_organisation_id in units]
    return render(
        request,
        "followup/round_detail.html",
        {
            "follow_up": follow_up,
            "declaration": plan.declaration,
            "activities": shown,
            "filter_form": filter_form,
            "total": Progress(_("All activities"), len(reviews), len(activities)),
            "organisation_progress": [
                Progress(name or _("No lead organisation"), reported_by_organisation[name], total)
                for name, total in sorted(by_organisation.items())
            ],
            "goal_progress": [
                Progress(f"{goal.position} {goal.title}", reported_by_goal[pk], by_goal[pk])
                for pk, goal in sorted(goals.items(), key=lambda item: item[1].position)
            ],
            "version": getattr(follow_up, "version", None) if not follow_up.is_open else None,
            "can_close": follow_up.is_open and permissions.is_plan_admin(request.user),
            "can_import": follow_up.is_open
            and permissions.role_of(request.user)
            in (permissions.Role.PLAN_ADMIN, permissions.Role.EDITOR),
            "own_organisation": Organisation.objects.filter(memberships__user=request.user).first(),
        },
    )


@permissions.allowed_when(permissions.can_view)
def review_edit(request, pk, activity_pk):
    follow_up = _round(pk)
    activity = get_object_or_404(
        Activity.objects.select_related("strategy__goal", "lead_organisation").prefetch_related(
            "co_organisations",
            Prefetch("indicators", queryset=Indicator.objects.order_by("position", "pk")),
        ),
        pk=activity_pk,
        plan=follow_up.plan_id,
    )
    review = (
        ActivityReview.objects.select_related("reviewed_by")
        .filter(follow_up=follow_up, activity=activity)
        .first()
    )
    may_report = permissions.can_report(request.user, follow_up, activity)
    if request.method == "POST" and not may_report:
        raise PermissionDenied
    indicators = list(activity.indicators.all())
    values = {}
    if review is not None:
        values = {v.indicator_id: v.actual_value for v in review.indicator_values.all()}
    form = None
    if may_report:
        instance = review or ActivityReview(
            follow_up=follow_up, activity=activity, new_status=activity.status
        )
        form = ReviewForm(
            request.POST or None, instance=instance, indicators=indicators, values=values
        )
        if request.method == "POST" and form.is_valid():
            try:
                save_review(
                    form.save(commit=False), actual_values=form.actual_values(), user=request.user
                )
            except StaleObjectError as stale:
                form.add_error(None, str(stale))
            else:
                messages.success(
                    request,
                    _("The report for %(code)s was saved.") % {"code": activity.reference_code},
                )
                return redirect("followup:round-detail", pk=follow_up.pk)
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
        },
    )


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
    if not follow_up.is_open:
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
    try:
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
    """The round's report for the review meeting; a closed round's from its version."""
    follow_up = _round(pk)
    return _pdf(request, lambda: followup_report_pdf(follow_up))


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
    if not follow_up.is_open or permissions.role_of(request.user) not in (
        permissions.Role.PLAN_ADMIN,
        permissions.Role.EDITOR,
    ):
        raise PermissionDenied
    form = RoundImportForm()
    outcome, token, file_name = None, "", ""
    if request.method == "POST" and request.POST.get("token"):
        pending = pending_uploads.find(user=request.user, token=request.POST["token"])
        if pending is None:
            messages.error(request, _("The preview has expired. Upload the file again."))
            return redirect("followup:round-import", pk=follow_up.pk)
        file_name = pending.file_name
        try:
            outcome = _import(follow_up, request.user, file_name, pending.content, dry_run=False)
        finally:
            # Imported or refused, the file is not needed again: a new try starts from an upload.
            pending_uploads.discard(user=request.user, token=pending.token)
        if outcome.ok:
            messages.success(
                request,
                _("The reports were imported: %(new)d new, %(changed)d changed.")
                % {"new": outcome.counts["new"], "changed": outcome.counts["changed"]},
            )
            return redirect("followup:round-detail", pk=follow_up.pk)
        token = ""
    elif request.method == "POST":
        form = RoundImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["import_file"]
            file_name, content = upload.name, upload.read()
            try:
                outcome = _import(follow_up, request.user, file_name, content, dry_run=True)
            except ValidationError as unreadable:
                form.add_error("import_file", unreadable)
            else:
                if outcome.ok:
                    # Kept only for a preview that can be confirmed.
                    token = pending_uploads.keep(
                        user=request.user, content=content, file_name=file_name
                    )
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
