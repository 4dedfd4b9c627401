"""What a sign-in through an organisation's provider does to the portal's users: the portal
user it is (by provider and subject, never by e-mail), the organisation (or unit) they work
for, and their role from the provider's groups."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klockaretorpet.permissions import Role, role_of
from strategies.models import Membership, Organisation

from .models import OrganisationIdentity
from .providers import Provider

logger = logging.getLogger(__name__)

USERNAME_MAX_LENGTH = 150


class SignInRefused(Exception):
    """A sign-in the portal does not accept; the message is shown to the person, in Swedish."""


def groups_in(claims: dict, claim: str) -> list[str]:
    value = claims.get(claim) or []
    if isinstance(value, str):
        value = [value]
    return [str(group) for group in value if str(group).strip()]


def sign_in(provider: Provider, claims: dict):
    """The portal user of a checked ID token's `claims`, created at the first sign-in and
    updated at every one. Raises SignInRefused."""
    subject = str(claims.get("sub") or "").strip()
    if not subject:
        raise SignInRefused(_("The sign-in did not say who you are (no “sub”)."))
    organisation = Organisation.objects.filter(name=provider.organisation).first()
    if organisation is None:
        logger.error(
            "Provider %s names organisation %r, which the portal does not have",
            provider.name,
            provider.organisation,
        )
        raise SignInRefused(
            _("The portal is not set up for %(organisation)s yet. Tell the portal's administrator.")
            % {"organisation": provider.organisation}
        )
    try:
        with transaction.atomic():
            return _sign_in(provider, subject, claims, organisation)
    except IntegrityError:
        # Two first sign-ins of one person at once: the other created the user; use it.
        with transaction.atomic():
            return _sign_in(provider, subject, claims, organisation)


def _sign_in(provider: Provider, subject: str, claims: dict, organisation: Organisation):
    identity = (
        OrganisationIdentity.objects.select_for_update()
        .select_related("user")
        .filter(provider=provider.name, subject=subject)
        .first()
    )
    now = timezone.now()
    if identity is None:
        user = get_user_model().objects.create_user(
            username=free_username(claims, provider, subject), password=None
        )
        identity = OrganisationIdentity(
            user=user, provider=provider.name, subject=subject, last_signed_in_at=now
        )
        logger.info("First sign-in through %s: user %s created", provider.name, user.pk)
    else:
        user = identity.user
    if not user.is_active:
        raise SignInRefused(
            _("Your account in the portal is closed. Ask a plan administrator if you need it.")
        )
    user.email = str(claims.get("email") or user.email)[:254]
    user.first_name = str(claims.get("given_name") or user.first_name)[:150]
    user.last_name = str(claims.get("family_name") or user.last_name)[:150]
    if not (claims.get("given_name") or claims.get("family_name")) and claims.get("name"):
        user.first_name, _space, user.last_name = str(claims["name"]).partition(" ")
    user.save()

    place = unit_of(organisation, claims.get(provider.unit_claim)) if provider.unit_claim else None
    set_membership(user, place or organisation)

    groups = groups_in(claims, provider.groups_claim)
    given = provider.role_for(groups)
    set_role(user, given, identity.role_from_provider)
    identity.groups = groups
    identity.role_from_provider = given.value if given else ""
    identity.last_signed_in_at = now
    identity.save()
    return user


def free_username(claims: dict, provider: Provider, subject: str) -> str:
    """The e-mail address (or the provider's user name) if no portal user has it yet, else the
    same with the provider's name: a local account with that name stays someone else's."""
    base = str(
        claims.get("email") or claims.get("preferred_username") or f"{provider.name}-{subject}"
    )[: USERNAME_MAX_LENGTH - 50]
    users = get_user_model().objects
    candidates = [base, f"{base}.{provider.name}"]
    candidates += [f"{base}.{provider.name}{number}" for number in range(2, 100)]
    for candidate in candidates:
        if not users.filter(username__iexact=candidate).exists():
            return candidate
    return f"{provider.name}-{subject}"[:USERNAME_MAX_LENGTH]


def unit_of(organisation: Organisation, claimed) -> Organisation | None:
    """The unit of `organisation` the claim names (its name or short name), if any."""
    name = str(claimed or "").strip()
    if not name:
        return None
    units = [organisation]
    found = []
    while units:
        children = list(Organisation.objects.filter(parent__in=units))
        found += children
        units = children
    lowered = name.casefold()
    return next(
        (
            unit
            for unit in found
            if unit.name.casefold() == lowered or (unit.short_name or "").casefold() == lowered
        ),
        None,
    )


def set_membership(user, organisation: Organisation) -> None:
    membership = Membership.objects.filter(user=user).first()
    if membership is not None and membership.organisation_id == organisation.pk:
        return
    membership = membership or Membership(user=user)
    membership.organisation = organisation
    # The history names the person as the one who changed it: the provider said so at their
    # sign-in.
    membership._history_user = user
    membership.save()


def set_role(user, given: Role | None, last_given: str) -> None:
    """The provider's role replaces any other. Without one, a role the provider gave last time
    is taken away (the group was removed there); a role a plan administrator gave by hand
    stays."""
    current = role_of(user)
    role_groups = list(Group.objects.filter(name__in=[role.value for role in Role]))
    if given is not None:
        keep = [group for group in role_groups if group.name == given.value]
        if not keep:
            raise SignInRefused(
                _("The portal's roles are missing. Tell the portal's administrator.")
            )
        user.groups.remove(*[group for group in role_groups if group.name != given.value])
        user.groups.add(keep[0])
    elif current is not None and last_given and current.value == last_given:
        user.groups.remove(*role_groups)
    else:
        return
    if hasattr(user, "_plan_role"):
        del user._plan_role
    if current != given:
        logger.info("Role of user %s from its provider: %s → %s", user.pk, current, given)
