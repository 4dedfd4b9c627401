import re

from django.conf import settings
from django.core.checks import Error, Tags, register

NAME = re.compile(r"^[a-z0-9-]+$")
REQUIRED = ("issuer", "client_id", "client_secret", "organisation")


@register(Tags.security, deploy=False)
def provider_settings(app_configs, **kwargs):
    """A provider without HTTPS would carry codes and tokens in the clear: refused unless
    DEBUG is on (a developer's own provider on 127.0.0.1)."""
    errors = []
    for entry in settings.OIDC_PROVIDERS:
        name = entry.get("name", "")
        prefix = f"DJANGO_OIDC_{name.upper().replace('-', '_')}_"
        if not NAME.match(name):
            errors.append(
                Error(
                    f"Leverantörens namn {name!r} i DJANGO_OIDC_PROVIDERS får bara ha a–z, 0–9 "
                    "och bindestreck (det blir en del av återkomstadressen).",
                    id="accounts.E002",
                )
            )
        missing = [key for key in REQUIRED if not entry.get(key)]
        if missing:
            errors.append(
                Error(
                    f"Inloggningsleverantören {name!r} saknar "
                    + ", ".join(prefix + key.upper() for key in missing)
                    + " (se .env.example).",
                    id="accounts.E003",
                )
            )
        issuer = entry.get("issuer", "")
        if issuer and not issuer.startswith("https://") and not settings.DEBUG:
            errors.append(
                Error(
                    f"{prefix}ISSUER är {issuer!r}: en inloggningsleverantör måste nås över "
                    "HTTPS när DJANGO_DEBUG är av.",
                    id="accounts.E001",
                )
            )
    return errors
