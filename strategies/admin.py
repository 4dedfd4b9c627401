from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from klockaretorpet.guarded_admin import (
    FilterCheckingChangeList,
    GuardedAdmin,
    GuardedStackedInline,
    PossibleKeysInForms,
)

from .models import (
    District,
    Goal,
    IntentDeclaration,
    Membership,
    Organisation,
    ProgrammeGoal,
    Strategy,
    SuccessFactor,
)


@admin.register(District)
class DistrictAdmin(GuardedAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Organisation)
class OrganisationAdmin(GuardedAdmin):
    list_display = ["name", "short_name", "kind", "parent"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["parent"]


class GoalInline(GuardedStackedInline):
    model = Goal
    extra = 0
    fields = ["position", "title", "description"]
    show_change_link = True


@admin.register(IntentDeclaration)
class IntentDeclarationAdmin(GuardedAdmin):
    list_display = ["title", "district", "adopted_on", "is_published"]
    # The lists people read; the models' own orderings stay on their columns, so that plain
    # queries join nothing.
    ordering = ["district__name", "title"]
    list_filter = ["district", "is_published"]
    list_select_related = ["district"]
    search_fields = ["title", "vision"]
    autocomplete_fields = ["district", "partners"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [GoalInline]
    fieldsets = [
        (None, {"fields": ["district", "title", "slug", "adopted_on", "partners", "is_published"]}),
        (
            _("Text"),
            {
                "fields": [
                    "introduction",
                    "programme_goals_introduction",
                    "background",
                    "vision",
                    "goals_introduction",
                    "implementation",
                    "success_factors_introduction",
                ]
            },
        ),
    ]


class StrategyInline(GuardedStackedInline):
    model = Strategy
    extra = 0
    fields = ["position", "title", "description"]
    show_change_link = True


@admin.register(Goal)
class GoalAdmin(GuardedAdmin):
    list_display = ["__str__", "declaration"]
    ordering = ["declaration__district__name", "declaration__title", "position"]
    list_filter = ["declaration"]
    list_select_related = ["declaration"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["declaration"]
    inlines = [StrategyInline]


@admin.register(Strategy)
class StrategyAdmin(GuardedAdmin):
    list_display = ["number_display", "title", "goal"]
    ordering = ["goal__declaration__title", "goal__position", "position"]
    list_filter = ["goal__declaration", "goal"]
    list_select_related = ["goal__declaration"]
    search_fields = ["title", "description", "goal__title"]
    autocomplete_fields = ["goal"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("goal__declaration")

    @admin.display(description=_("number"), ordering="goal__position")
    def number_display(self, strategy: Strategy) -> str:
        return strategy.number


@admin.register(SuccessFactor, ProgrammeGoal)
class ReferenceListAdmin(GuardedAdmin):
    list_display = ["title", "position"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Membership)
class MembershipAdmin(GuardedAdmin):
    list_display = ["user", "organisation"]
    ordering = ["organisation__name", "user__username"]
    list_filter = ["organisation"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    autocomplete_fields = ["organisation"]


# User accounts stay with superusers (Django's own permissions); the organisation is set here.
User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(FilterCheckingChangeList, PossibleKeysInForms, UserAdmin):
    inlines = [*UserAdmin.inlines, MembershipInline]


# django-axes' own lists of sign-in attempts (superusers only) check the filters in the address
# as every other list does. axes comes before this app in INSTALLED_APPS, so its admin has
# registered them by now.
for _model, _model_admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(
            _model, type(_model_admin.__name__, (FilterCheckingChangeList, _model_admin), {})
        )
