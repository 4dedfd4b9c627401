"""The one permission policy: who may view, change, add or delete what.

Roles are Django groups (created by a data migration in `plans`); organisation membership is
kept by `strategies`, which declares how to read it (`declare_organisations_of_user`). The apps
declare what the policy needs to know of their models (`declare_model`: who answers for an
object, whether it is frozen, what editors may add), so this module imports no app.

The admin (`klockaretorpet.guarded_admin`), the portal views and the Excel import all ask the
functions here, so a rule is changed in one place.

- Planadministratör (and superusers): everything.
- Redaktör: reads everything; changes activities, and their indicators, where the user's
  organisation (or one of its units) is the lead or a co-responsible organisation. An editor
  changes an activity's content, never its place in the plan or who answers for it: the fields
  an app declares as `plan_admin_fields` (for activities: plan, strategy, ansvar and the links
  to the declaration) stay as they are, whatever is posted.
- Läsare: reads everything, changes nothing.
- A logged-in user without a role sees nothing but a page saying so.
- Follow-up: plan administrators open and close rounds; a round's activities are reported by
  editors of the responsible organisation (and by plan administrators). A closed round, its
  reports and every plan version are history: nobody, superusers included, changes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet


class Role(StrEnum):
    # The values are the groups' names, which users see in the admin.
    PLAN_ADMIN = "Planadministratör"
    EDITOR = "Redaktör"
    READER = "Läsare"


ROLE_RANK = {Role.READER: 1, Role.EDITOR: 2, Role.PLAN_ADMIN: 3}


@dataclass(frozen=True)
class ModelPolicy:
    """What an app declares about one of its models (`declare_model`); the policy asks these
    instead of naming the app's classes.

    - `organisations(obj)`: the ids of the organisations that answer for `obj` (lead first, so
      that the check stops before reading the rest); editors of one of them change it.
    - `answered_by(obj)`: the object whose responsible organisations answer for `obj` (an
      indicator's activity), or None when `obj` belongs to nothing yet.
    - `frozen(obj)`: whether `obj` is part of the record and nobody may change it.
    - `never_writable`: no object of the model is ever changed, added or deleted through any
      form (it is written once by the app's own service).
    - `editors_add_delete`: editors add and delete objects they may change (indicators).
    - `responsible_rows(queryset, organisation_ids)`: the rows of `queryset` those
      organisations answer for.
    - `plan_admin_fields`: the fields that decide where an object sits and who answers for it;
      a role that changes the object's content leaves them alone.
    """

    organisations: Callable[[Model], Iterable[int | None]] | None = None
    answered_by: Callable[[Model], Model | None] | None = None
    frozen: Callable[[Model], bool] | None = None
    never_writable: bool = False
    editors_add_delete: bool = False
    responsible_rows: Callable[[QuerySet, frozenset[int]], QuerySet] | None = None
    plan_admin_fields: frozenset[str] = frozenset()


_POLICIES: dict[type[Model], ModelPolicy] = {}
_NO_POLICY = ModelPolicy()
# The one function, declared by the app that holds memberships, that names the organisations a
# user works for (with their units).
_organisations_of_user: Callable[..., frozenset[int]] | None = None


def declare_model(model: type[Model], **policy) -> None:
    """Called by an app when it is ready: how the policy treats `model` (see `ModelPolicy`)."""
    if "plan_admin_fields" in policy:
        policy["plan_admin_fields"] = frozenset(policy["plan_admin_fields"])
    _POLICIES[model] = ModelPolicy(**policy)


def declare_organisations_of_user(function: Callable[..., frozenset[int]]) -> None:
    """Called by the app that knows memberships: `function(user)` gives the ids of the user's
    organisation and all its units."""
    global _organisations_of_user
    _organisations_of_user = function


def _policy(obj: Model | type[Model]) -> ModelPolicy:
    model = obj if isinstance(obj, type) else type(obj)
    return _POLICIES.get(model, _NO_POLICY)


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
        user._plan_organisation_ids = (
            _organisations_of_user(user) if _organisations_of_user else frozenset()
        )
    return user._plan_organisation_ids


def organisation_of(user):
    """The organisation (or unit) the user works for, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = getattr(user, "membership", None)
    return membership.organisation if membership is not None else None


def waiting_for_access() -> QuerySet:
    """The active users who have logged in but have no role (a plan administrator gives one)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_superuser=False, last_login__isnull=False)
        .exclude(groups__name__in=[role.value for role in Role])
    )


def waiting_for_access_count(user) -> int:
    """For a plan administrator: how many are `waiting_for_access`; 0 for everyone else."""
    return waiting_for_access().count() if is_plan_admin(user) else 0


def can_view(user, obj: Model | type[Model] | None = None) -> bool:
    return role_of(user) is not None


def can_change(user, obj: Model | type[Model]) -> bool:
    role = role_of(user)
    policy = _policy(obj)
    if policy.never_writable or (not isinstance(obj, type) and is_frozen(obj)):
        return False
    if role == Role.PLAN_ADMIN:
        return True
    if role != Role.EDITOR:
        return False
    if policy.answered_by is not None:
        if isinstance(obj, type):
            return True
        parent = policy.answered_by(obj)
        return parent is None or can_change(user, parent)
    if policy.organisations is not None:
        return isinstance(obj, type) or _is_responsible(user, obj)
    return False


def locked_fields(user, obj: Model | type[Model]) -> frozenset[str]:
    """The fields of `obj` the user may not change even where they may change `obj`."""
    if role_of(user) == Role.PLAN_ADMIN:
        return frozenset()
    return _policy(obj).plan_admin_fields


def can_change_fields(user, obj: Model, fields) -> bool:
    """Whether the user may write these (changed) fields of `obj`; every write path asks,
    whatever a form shows, so a crafted request cannot move or hand away an object."""
    return can_change(user, obj) and not (locked_fields(user, obj) & set(fields))


def can_add(user, model: type[Model], parent: Model | None = None) -> bool:
    role = role_of(user)
    if _policy(model).never_writable or (parent is not None and is_frozen(parent)):
        return False
    if role == Role.PLAN_ADMIN:
        return True
    if role == Role.EDITOR and _policy(model).editors_add_delete:
        return parent is None or can_change(user, parent)
    return False


def can_delete(user, obj: Model | type[Model]) -> bool:
    role = role_of(user)
    policy = _policy(obj)
    if policy.never_writable or (not isinstance(obj, type) and is_frozen(obj)):
        return False
    if role == Role.PLAN_ADMIN:
        return True
    if role == Role.EDITOR and policy.editors_add_delete:
        return can_change(user, obj)
    return False


def can_report(user, follow_up: Model, activity: Model) -> bool:
    """Whether the user may fill in (or correct) the activity's report in the round."""
    if not follow_up.is_open or activity.plan_id != follow_up.plan_id:
        return False
    role = role_of(user)
    return role == Role.PLAN_ADMIN or (role == Role.EDITOR and _is_responsible(user, activity))


def is_frozen(obj: Model) -> bool:
    """Closed rounds, their reports and plan versions are the record of what was decided; the
    apps declare which of their objects are (`declare_model(..., frozen=...)`)."""
    frozen = _policy(obj).frozen
    return frozen is not None and frozen(obj)


def can_revert_history(user, obj: Model | None = None) -> bool:
    """Reverting writes a whole old state back: plan administrators only."""
    return is_plan_admin(user)


def can_import(user) -> bool:
    return is_plan_admin(user)


def can_view_audit(user) -> bool:
    return is_plan_admin(user)


def can_erase_personal_data(user) -> bool:
    return is_plan_admin(user)


def editable_activities(user, activities: QuerySet) -> QuerySet:
    """The rows of `activities` the user may change; the model's declaration picks the rows
    the user's organisations answer for."""
    role = role_of(user)
    if role == Role.PLAN_ADMIN:
        return activities
    responsible_rows = _policy(activities.model).responsible_rows
    if role != Role.EDITOR or responsible_rows is None:
        return activities.none()
    return responsible_rows(activities, organisation_ids_of(user))


def _is_responsible(user, obj: Model) -> bool:
    ids = organisation_ids_of(user)
    organisations = _policy(obj).organisations
    if not ids or organisations is None:
        return False
    # A generator: stops at the lead organisation before reading the co-responsible ones.
    return any(pk in ids for pk in organisations(obj))


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
