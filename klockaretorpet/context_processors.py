from klockaretorpet import permissions
from klockaretorpet.admin_site import may_enter_admin


def roles(request) -> dict:
    """What the navigation offers: asked lazily, so pages that don't show it pay nothing."""
    user = getattr(request, "user", None)
    return {
        "can_view_audit": lambda: permissions.can_view_audit(user),
        "can_enter_admin": lambda: user is not None and may_enter_admin(user),
        "plan_role": lambda: permissions.role_of(user),
        "plan_organisation": lambda: permissions.organisation_of(user),
        "waiting_for_access": lambda: permissions.waiting_for_access_count(user),
    }
