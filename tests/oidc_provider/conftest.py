# The fixtures as the portal's login tests import them (tests/accounts/conftest.py does the same).
from tests.oidc_provider.fixtures import oidc_provider_processes, oidc_providers  # noqa: F401
