from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from klockaretorpet import permissions
from klockaretorpet.guarded_admin import (
    FilterCheckingChangeList,
    GuardedAdmin,
    GuardedStackedInline,
)

from .models import ActivityReview, FollowUp, FollowUpState, PlanVersion
from .rounds import close_round


class ActivityReviewInline(GuardedStackedInline):
    model = ActivityReview
    extra = 0
    autocomplete_fields = ["activity"]
    fields = [
        "activity",
        ("assessment", "new_status"),
        "done",
        "deviations",
        "next_step",
        "reviewed_by",
        "reviewed_at",
    ]
    readonly_fields = ["reviewed_by", "reviewed_at"]

    def has_change_permission(self, request, obj=None):
        # A closed round's reports are shown, never offered for editing.
        return (obj is None or obj.is_open) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return (obj is None or obj.is_open) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.is_open) and super().has_delete_permission(request, obj)


@admin.register(FollowUp)
class FollowUpAdmin(GuardedAdmin):
    list_display = ["__str__", "year", "state", "deadline", "meeting_date", "reported"]
    list_filter = ["state", "plan__declaration", "year"]
    list_select_related = ["plan"]
    fields = ["plan", "year", "deadline", "meeting_date", "summary", "state", "closed_by"]
    readonly_fields = ["state", "closed_by"]
    inlines = [ActivityReviewInline]
    actions = ["close_rounds"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(review_total=Count("reviews"))

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_open:
            return self.fields
        if obj is not None:
            # A round belongs to its plan and year for good: reports are tied to both.
            return ["plan", "year", *self.readonly_fields]
        return self.readonly_fields

    @admin.display(description=_("reported"), ordering="review_total")
    def reported(self, follow_up: FollowUp) -> int:
        return follow_up.review_total

    @admin.action(description=_("Close the selected follow-ups and write their plan versions"))
    def close_rounds(self, request, queryset):
        if not permissions.is_plan_admin(request.user):
            raise PermissionDenied
        closed = 0
        for follow_up in queryset.filter(state=FollowUpState.OPEN):
            try:
                close_round(follow_up, user=request.user)
            except ValidationError as refused:
                messages.error(request, f"{follow_up}: {' '.join(refused.messages)}")
            else:
                closed += 1
        if closed:
            messages.success(
                request,
                ngettext("%(count)d follow-up closed.", "%(count)d follow-ups closed.", closed)
                % {"count": closed},
            )


@admin.register(PlanVersion)
class PlanVersionAdmin(FilterCheckingChangeList, admin.ModelAdmin):
    """Versions are written by closing a round or adopting a revision; here they are read."""

    list_display = ["__str__", "number", "kind", "created_at", "created_by", "links"]
    list_filter = ["kind", "plan__declaration"]
    list_select_related = ["plan", "created_by"]
    exclude = ["snapshot"]
    readonly_fields = ["links"]

    def get_queryset(self, request):
        # A version's snapshot can be large; lists and pages show the rest.
        return super().get_queryset(request).defer("snapshot")

    @admin.display(description=_("documents"))
    def links(self, version: PlanVersion) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("followup:version-plan-report", args=[version.pk]),
            _("the plan (PDF)"),
            reverse("followup:version-diff", args=[version.pk]),
            _("changes since the previous version"),
        )

    def has_module_permission(self, request):
        return permissions.can_view(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view(request.user, obj or self.model)

    def has_add_permission(self, request):
        return permissions.can_add(request.user, self.model)

    def has_change_permission(self, request, obj=None):
        return permissions.can_change(request.user, obj or self.model)

    def has_delete_permission(self, request, obj=None):
        return permissions.can_delete(request.user, obj or self.model)
