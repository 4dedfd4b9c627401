"""The organisations' OpenID providers, as configured in `settings.OIDC_PROVIDERS` (read from
the environment), and an Authlib client for each.

Authlib's Django client does the protocol: the authorization code flow with PKCE (S256), state
and nonce kept in the session, the ID token's signature checked against the provider's JWKS.
It checks the audience only when told to, so `claims_options` names both issuer and audience.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlsplit

from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.http import Http404

from klockaretorpet.permissions import Role

ROLE_KEYS = {"plan_admin": Role.PLAN_ADMIN, "editor": Role.EDITOR, "reader": Role.READER}


@dataclass(frozen=True)
class Provider:
    name: str
    issuer: str
    client_id: str
    client_secret: str
    organisation: str
    label: str
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    groups_claim: str = "groups"
    unit_claim: str = ""
    # role → the provider's groups that give it
    role_groups: tuple[tuple[Role, tuple[str, ...]], ...] = field(default=())

    @classmethod
    def from_setting(cls, entry: dict) -> Provider:
        return cls(
            name=entry["name"],
            issuer=entry.get("issuer", "").rstrip("/") or "",
            client_id=entry.get("client_id", ""),
            client_secret=entry.get("client_secret", ""),
            organisation=entry.get("organisation", ""),
            label=entry.get("label", "") or entry.get("organisation", "") or entry["name"],
            scopes=tuple(entry.get("scopes") or ("openid", "email", "profile")),
            groups_claim=entry.get("groups_claim") or "groups",
            unit_claim=entry.get("unit_claim", ""),
            role_groups=tuple(
                (ROLE_KEYS[key], tuple(groups))
                for key, groups in (entry.get("role_groups") or {}).items()
                if key in ROLE_KEYS
            ),
        )

    @property
    def origin(self) -> str:
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def claims_options(self) -> dict:
        # Authlib's own default checks the issuer only; the audience must be this client.
        return {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": self.client_id},
        }

    def role_for(self, groups: list[str]) -> Role | None:
        """The strongest role the provider's `groups` give, or None."""
        given = {role for role, role_groups in self.role_groups if set(groups) & set(role_groups)}
        for role in (Role.PLAN_ADMIN, Role.EDITOR, Role.READER):
            if role in given:
                return role
        return None


def all_providers() -> list[Provider]:
    return [Provider.from_setting(entry) for entry in settings.OIDC_PROVIDERS]


def find(name: str | None) -> Provider | None:
    return next((provider for provider in all_providers() if provider.name == name), None)


def get_or_404(name: str) -> Provider:
    provider = find(name)
    if provider is None:
        raise Http404(name)
    return provider


@cache
def _client(provider: Provider):
    # One client per configuration, so the provider's metadata and keys are fetched once; a
    # key the provider rotates in is fetched when a token names it (Authlib).
    return OAuth().register(
        name=provider.name,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=provider.metadata_url,
        client_kwargs={
            "scope": " ".join(provider.scopes),
            "code_challenge_method": "S256",
            "default_timeout": 10,
        },
    )


def client(provider: Provider):
    return _client(provider)
