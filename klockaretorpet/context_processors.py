from klockaretorpet import permissions


def roles(request) -> dict:
    """What the navigation offers: asked lazily, so pages that don't show it pay nothing."""
    user = getattr(request, "user", None)
    return {"can_view_audit": lambda: permissions.can_view_audit(user)}
