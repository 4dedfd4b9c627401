"""The one permission policy: who may view, change, add or delete what.

Roles are Django groups (created by a data migration in `plans`); organisation membership is
`strategies.Membership`. The admin (`klockaretorpet.guarded_admin`), the portal views and the
Excel import all ask the functions here, so a rule is changed in one place.

- Planadministratör (and superusers): everything.
- Redaktör: reads everything; changes activities, and their indicators, where the user's
  organisation (or one of its units) is the lead or a co-responsible organisation. An editor
  changes an activity's content, never its place in the plan or who answers for it: the fields
  an app declares with `declare_plan_admin_fields` (for activities: plan, strategy, ansvar and
  the links to the declaration) stay as they are, whatever is posted.
- Läsare: reads everything, changes nothing.
- A logged-in user without a role sees nothing but a page saying so.
- Follow-up: plan administrators open and close rounds; a round's activities are reported by
  editors of the responsible organisation (and by plan administrators). A closed round, its
  reports and every plan version are history: nobody, superusers included, changes them.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet

from followup.models import ActivityReview, FollowUp, IndicatorValue, PlanVersion
from plans.models import Activity, Indicator
from strategies.models import Membership, Organisation


class Role(StrEnum):
    # The values are the groups' names, which users see in the admin.
    PLAN_ADMIN = "Planadministratör"
    EDITOR = "Redaktör"
    READER = "Läsare"


ROLE_RANK = {Role.READER: 1, Role.EDITOR: 2, Role.PLAN_ADMIN: 3}


def role_of(user) -> Role | None:
    """The user's strongest role; cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if not hasattr(user, "_plan_role"):
        if user.is_superuser:
            user._plan_role = Role.PLAN_ADMIN
        else:
            names = set(user.groups.values_list("name", flat=True))
            roles = [role for role in Role if role.value in names]
            user._plan_role = max(roles, key=ROLE_RANK.__getitem__) if roles else None
    return user._plan_role


def is_plan_admin(user) -> bool:
    return role_of(user) == Role.PLAN_ADMIN


def organisation_ids_of(user) -> frozenset[int]:
    """The user's organisation and all its units (an editor at the kommun edits for its
    administrations too)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if not hasattr(user, "_plan_organisation_ids"):
        root = Membership.objects.filter(user=user).values_list("organisation", flat=True).first()
        user._plan_organisation_ids = (
            frozenset() if root is None else Organisation.objects.ids_with_units(root)
        )
    return user._plan_organisation_ids


def can_view(user, obj: Model | type[Model] | None = None) -> bool:
    return role_of(user) is not None


def can_change(user, obj: Model | type[Model]) -> bool:
    role = role_of(user)
    model = obj if isinstance(obj, type) else type(obj)
    if model is PlanVersion or (not isinstance(obj, type) and is_frozen(obj)):
        return False
    if role == Role.PLAN_ADMIN:
        return True
    if role != Role.EDITOR:
        return False
    if model is Indicator:
        return isinstance(obj, type) or obj.activity_id is None or can_change(user, obj.activity)
    if model is Activity:
        return isinstance(obj, type) or _is_responsible(user, obj)
    if model is ActivityReview:
        return isinstance(obj, type) or _is_responsible(user, obj.activity)
    if model is IndicatorValue:
        return isinstance(obj, type) or can_change(user, obj.review)
    return False


# Fields only plan administrators change, by model; apps declare them (`declare_plan_admin_fields`)
# so that the policy needs no list of their models.
_PLAN_ADMIN_FIELDS: dict[type[Model], frozenset[str]] = {}


def declare_plan_admin_fields(model: type[Model], fields) -> None:
    """Called by an app when it is ready: these fields of `model` decide where an object sits
    and who answers for it, so a role that changes the object's content leaves them alone."""
    _PLAN_ADMIN_FIELDS[model] = frozenset(fields)


def locked_fields(user, obj: Model | type[Model]) -> frozenset[str]:
    """The fields of `obj` the user may not change even where they may change `obj`."""
    if role_of(user) == Role.PLAN_ADMIN:
        return frozenset()
    model = obj if isinstance(obj, type) else type(obj)
    return _PLAN_ADMIN_FIELDS.get(model, frozenset())


def can_change_fields(user, obj: Model, fields) -> bool:
    """Whether the user may write these (changed) fields of `obj`; every write path asks,
    whatever a form shows, so a crafted request cannot move or hand away an object."""
    return can_change(user, obj) and not (locked_fields(user, obj) & set(fields))


def can_add(user, model: type[Model], parent: Model | None = None) -> bool:
    role = role_of(user)
    if model is PlanVersion or (parent is not None and is_frozen(parent)):
        return False
    if role == Role.PLAN_ADMIN:
        return True
    if role == Role.EDITOR and model is Indicator:
        return parent is None or can_change(user, parent)
    return False


def can_delete(user, obj: Model | type[Model]) -> bool:
    role = role_of(user)
    model = obj if isinstance(obj, type) else type(obj)
    if model is PlanVersion or (not isinstance(obj, type) and is_frozen(obj)):
        return False
    if role == Role.PLAN_ADMIN:
        return True
    if role == Role.EDITOR and model is Indicator:
        return can_change(user, obj)
    return False


def can_report(user, follow_up: FollowUp, activity: Activity) -> bool:
    """Whether the user may fill in (or correct) the activity's report in the round."""
    if not follow_up.is_open or activity.plan_id != follow_up.plan_id:
        return False
    role = role_of(user)
    return role == Role.PLAN_ADMIN or (role == Role.EDITOR and _is_responsible(user, activity))


def is_frozen(obj: Model) -> bool:
    """Closed rounds, their reports and plan versions are the record of what was decided."""
    if isinstance(obj, PlanVersion):
        return True
    if isinstance(obj, FollowUp):
        return obj.pk is not None and not obj.is_open
    if isinstance(obj, ActivityReview):
        return obj.follow_up_id is not None and not obj.follow_up.is_open
    if isinstance(obj, IndicatorValue):
        return obj.review_id is not None and is_frozen(obj.review)
    return False


def can_revert_history(user, obj: Model | None = None) -> bool:
    """Reverting writes a whole old state back: plan administrators only."""
    return is_plan_admin(user)


def can_import(user) -> bool:
    return is_plan_admin(user)


def can_view_audit(user) -> bool:
    return is_plan_admin(user)


def can_erase_personal_data(user) -> bool:
    return is_plan_admin(user)


def editable_activities(user, activities: QuerySet[Activity]) -> QuerySet[Activity]:
    role = role_of(user)
    if role == Role.PLAN_ADMIN:
        return activities
    if role != Role.EDITOR:
        return activities.none()
    ids = organisation_ids_of(user)
    return activities.filter(
        Q(lead_organisation__in=ids)
        | Q(
            pk__in=Activity.co_organisations.through.objects.filter(organisation__in=ids).values(
                "activity"
            )
        )
    )


def _is_responsible(user, activity: Activity) -> bool:
    ids = organisation_ids_of(user)
    if not ids or activity.pk is None:
        return bool(ids) and activity.lead_organisation_id in ids
    if activity.lead_organisation_id in ids:
        return True
    # Uses the prefetch when the caller has one.
    return any(org.pk in ids for org in activity.co_organisations.all())


def allowed_when(check: Callable[..., bool]):
    """Decorate a portal view: 403 unless `check(request.user)` holds."""

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorator


# --- Follow-up rounds: closing, importing and reminders. These take the objects they judge
# (duck-typed: a round has `is_open`, an activity `lead_organisation_id`) and import no app.


def can_close_round(user, follow_up) -> bool:
    """Closing writes the round's plan version: plan administrators, while the round is open."""
    return follow_up.is_open and is_plan_admin(user)


def can_import_round(user, follow_up) -> bool:
    """Importing the round's filled-in sheet: plan administrators and editors, while it is
    open (the import itself checks each row with `can_report`)."""
    return follow_up.is_open and role_of(user) in (Role.PLAN_ADMIN, Role.EDITOR)


def reminder_contacts(users: QuerySet) -> QuerySet:
    """Of `users`, those reminded to report their organisations' activities: active editors
    with an organisation (`membership`), each with it loaded."""
    return (
        users.filter(is_active=True, groups__name=Role.EDITOR, membership__isnull=False)
        .select_related("membership")
        .distinct()
        .order_by("pk")
    )


def reminder_fallback_contacts(users: QuerySet) -> QuerySet:
    """Of `users`, those reminded of activities nobody at the organisation can be reminded
    about: the active plan administrators."""
    return users.filter(is_active=True, groups__name=Role.PLAN_ADMIN).distinct().order_by("pk")


def reminded_organisation_ids(activity, parents: dict[int, int | None]) -> list[int]:
    """The organisations whose editors are reminded about `activity`: its lead organisation
    and every one above it (`parents`: organisation id → parent id), as an editor at the
    kommun reports for its administrations (`organisation_ids_of` the other way round).
    Empty when the activity has no lead organisation."""
    chain: list[int] = []
    current: int | None = activity.lead_organisation_id
    while current is not None and current not in chain:  # a cycle must not hang the reminders
        chain.append(current)
        current = parents.get(current)
    return chain
