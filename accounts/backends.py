from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class PasswordBackend(ModelBackend):
    """Django's password check; with `PASSWORD_LOGIN` off, for superusers only (the
    organisations then sign in through their providers)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not settings.PASSWORD_LOGIN and not user.is_superuser:
            return None
        return user

    def get_user(self, user_id):
        # A password session begun before password login was turned off ends with it.
        user = super().get_user(user_id)
        if user is not None and not settings.PASSWORD_LOGIN and not user.is_superuser:
            return None
        return user


class OrganisationSignInBackend(ModelBackend):
    """The backend a provider's sign-in logs users in with (`accounts.views.callback`): it
    loads them for later requests and never checks a password."""

    def authenticate(self, request, **credentials):
        return None
