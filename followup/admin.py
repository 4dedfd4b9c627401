from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from klockaretorpet import permissions
from klockaretorpet.guarded_admin import FilterCheckingChangeList, GuardedAdmin

from .models import FollowUp, FollowUpState, PlanVersion
from .rounds import close_round


@admin.register(FollowUp)
class FollowUpAdmin(GuardedAdmin):
    list_display = ["__str__", "year", "state", "deadline", "meeting_date", "reported"]
    list_filter = ["state", "plan__declaration", "year"]
    list_select_related = ["plan"]
    fields = [
        "plan",
        "year",
        "deadline",
        "meeting_date",
        "summary",
        "state",
        "closed_by",
        "reporting",
        "documents",
    ]
    readonly_fields = ["state", "closed_by", "reporting", "documents"]
    # The reports are not inlined: with every activity's report on it the page grew with the
    # plan (82,000 px and 5 s at 300 activities). They are written on the round's portal page,
    # which pages, filters and guards them; this page keeps the round's own fields and links.
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

    def get_fields(self, request, obj=None):
        # A round being created has no reports and no documents yet.
        if obj is None:
            return [field for field in self.fields if field not in {"reporting", "documents"}]
        return self.fields

    @admin.display(description=_("reporting"))
    def reporting(self, follow_up: FollowUp) -> str:
        reported = follow_up.review_total  # counted by get_queryset, for the list and this page
        total = follow_up.plan.activities.count()
        return format_html(
            '{} <a href="{}">{}</a>',
            ngettext(
                "%(reported)d of %(total)d activity reported.",
                "%(reported)d of %(total)d activities reported.",
                total,
            )
            % {"reported": reported, "total": total},
            follow_up.get_absolute_url(),
            _("Reports are written and read on the follow-up's page")
            if follow_up.is_open
            else _("The reports are read on the follow-up's page"),
        )

    @admin.display(description=_("documents"))
    def documents(self, follow_up: FollowUp) -> str:
        links = [
            (reverse("followup:round-report", args=[follow_up.pk]), _("the report (PDF)")),
            (reverse("followup:round-export", args=[follow_up.pk]), _("the reports as Excel")),
        ]
        if follow_up.is_open:
            links.append(
                (reverse("followup:round-import", args=[follow_up.pk]), _("import reports"))
            )
        version = PlanVersion.objects.filter(follow_up=follow_up).only("pk").first()
        if version is not None:
            links.append((version.get_absolute_url(), _("the plan version it wrote")))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

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
