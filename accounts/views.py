"""Sign-in through the organisations' OpenID providers, the page for people who have signed in
but have no role yet, and signing out (of the provider too, where it offers that)."""

from __future__ import annotations

import logging
import time

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from joserfc.errors import JoseError

from klockaretorpet import permissions, sessions
from strategies.models import Membership

from . import providers
from .models import OrganisationIdentity
from .signin import SignInRefused, sign_in

logger = logging.getLogger(__name__)

NEXT = "sign_in_next"
PROVIDER = "sign_in_provider"
ID_TOKEN = "sign_in_id_token"  # noqa: S105 (a session key, not a secret)
BACKEND = "accounts.backends.OrganisationSignInBackend"


def safe_next(request, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def failed(request, provider, message: str, status: int):
    return render(
        request,
        "accounts/sign_in_failed.html",
        {"provider": provider, "message": message},
        status=status,
    )


def unreachable(request, provider):
    return failed(
        request,
        provider,
        _("The sign-in service of %(account)s does not answer just now. Try again in a while.")
        % {"account": provider.label},
        503,
    )


@login_not_required
@require_safe
def start(request, provider_name: str):
    """The login page's button: off to the provider's own sign-in page."""
    provider = providers.get_or_404(provider_name)
    request.session[NEXT] = safe_next(request, request.GET.get("next"))
    callback_url = request.build_absolute_uri(reverse("accounts:callback", args=[provider.name]))
    try:
        return providers.client(provider).authorize_redirect(request, callback_url)
    except (requests.RequestException, ValueError, KeyError) as error:
        logger.warning("Provider %s unreachable at sign-in: %s", provider.name, error)
        return unreachable(request, provider)


@login_not_required
@require_safe
def callback(request, provider_name: str):
    """Where the provider sends the person back: the code is exchanged for tokens, the ID
    token checked (signature against the provider's keys, issuer, audience, nonce; state and
    PKCE on the way), and the person logged in as the portal user of that identity."""
    provider = providers.get_or_404(provider_name)
    if request.GET.get("error"):
        logger.info(
            "Provider %s refused a sign-in: %s %s",
            provider.name,
            request.GET.get("error"),
            request.GET.get("error_description", ""),
        )
        return failed(
            request,
            provider,
            _("%(account)s did not approve the sign-in.") % {"account": provider.label},
            403,
        )
    try:
        token = providers.client(provider).authorize_access_token(
            request, claims_options=provider.claims_options()
        )
    except MismatchingStateError:
        # A used, forged or expired answer: the state is kept for one use by the session
        # that started the sign-in.
        logger.warning("Sign-in through %s with an unknown or used state", provider.name)
        return failed(
            request,
            provider,
            _("The sign-in had expired or was already used. Start it again."),
            400,
        )
    except (OAuthError, JoseError) as error:
        logger.warning("Sign-in through %s refused: %r", provider.name, error)
        return failed(
            request,
            provider,
            _("The answer from %(account)s could not be verified, so you were not logged in.")
            % {"account": provider.label},
            400,
        )
    except (requests.RequestException, ValueError, KeyError) as error:
        logger.warning("Provider %s unreachable at sign-in: %s", provider.name, error)
        return unreachable(request, provider)
    claims = token.get("userinfo")
    if not claims:
        # Without an ID token Authlib checks nothing: there is nobody to log in.
        logger.warning("Provider %s answered without an ID token", provider.name)
        return failed(
            request,
            provider,
            _("The answer from %(account)s could not be verified, so you were not logged in.")
            % {"account": provider.label},
            400,
        )
    try:
        user = sign_in(provider, dict(claims))
    except SignInRefused as refusal:
        return failed(request, provider, str(refusal), 403)

    next_url = request.session.pop(NEXT, "")
    login(request, user, backend=BACKEND)
    request.session[PROVIDER] = provider.name
    request.session[ID_TOKEN] = token.get("id_token", "")
    sessions.set_latest_end(
        request.session, time.time() + settings.OIDC_SESSION_MAX_HOURS * 60 * 60
    )
    if permissions.role_of(user) is None:
        return redirect("accounts:waiting")
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


@require_safe
def waiting(request):
    """For a signed-in person without a role: who they are, and that a plan administrator must
    grant access."""
    if permissions.role_of(request.user) is not None:
        return redirect(settings.LOGIN_REDIRECT_URL)
    membership = Membership.objects.select_related("organisation").filter(user=request.user)
    return render(
        request,
        "accounts/waiting.html",
        {"membership": membership.first()},
    )


@permissions.allowed_when(permissions.is_plan_admin)
@require_safe
def waiting_users(request):
    """For plan administrators: the active users who have no role, newest sign-in first."""
    users = (
        permissions.waiting_for_access()
        .select_related("membership__organisation")
        .prefetch_related(
            Prefetch(
                "organisation_identities",
                queryset=OrganisationIdentity.objects.order_by("-last_signed_in_at"),
            )
        )
        .distinct()
        .order_by("-last_login", "username")
    )
    labels = {provider.name: provider.label for provider in providers.all_providers()}
    rows = []
    for user in users:
        identity = next(iter(user.organisation_identities.all()), None)
        rows.append(
            {
                "user": user,
                "organisation": getattr(getattr(user, "membership", None), "organisation", None),
                "identity": identity,
                "provider_label": labels.get(identity.provider, identity.provider)
                if identity
                else "",
            }
        )
    return render(request, "accounts/waiting_users.html", {"rows": rows})


class LoginView(auth_views.LoginView):
    """One button per organisation's provider, above the password form (which, with password
    login off, only superusers can use)."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            providers=providers.all_providers(),
            password_login=settings.PASSWORD_LOGIN,
            **kwargs,
        )


class LogoutView(auth_views.LogoutView):
    """Ends the portal's session and, for a sign-in through a provider that offers it, the
    provider's session too (RP-initiated logout), coming back to the logged-out page."""

    def post(self, request, *args, **kwargs):
        provider = providers.find(request.session.get(PROVIDER))
        id_token = request.session.get(ID_TOKEN, "")
        response = super().post(request, *args, **kwargs)
        if provider is None:
            return response
        back = request.build_absolute_uri(reverse("accounts:logged-out"))
        try:
            logout_url = (
                providers.client(provider)
                .create_logout_url(
                    post_logout_redirect_uri=back,
                    id_token_hint=id_token or None,
                    client_id=provider.client_id,
                )
                .get("url")
            )
        except (RuntimeError, requests.RequestException, ValueError, KeyError) as error:
            # No end-session endpoint, or the provider is down: the portal's session is over
            # anyway; the page says the provider's may not be.
            logger.info("No provider logout through %s: %s", provider.name, error)
            return redirect(f"{reverse('accounts:logged-out')}?provider={provider.name}")
        return redirect(logout_url)


@login_not_required
@require_safe
def logged_out(request):
    provider = providers.find(request.GET.get("provider"))
    return render(request, "registration/logged_out.html", {"provider_still_signed_in": provider})
