from . import providers
from .views import PROVIDER


class ProviderLogoutFormActionMiddleware:
    """Lets the logout form of a person signed in through a provider lead on to the provider's
    end-session page: browsers hold a form's redirects to the page's CSP `form-action`, which
    otherwise allows the portal only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        name = session.get(PROVIDER) if session is not None else None
        provider = providers.find(name) if name else None
        if provider is not None:
            response._csp_update = {
                **(getattr(response, "_csp_update", None) or {}),
                "form-action": [provider.origin],
            }
        return response
