"""A real OpenID Connect provider for tests: panva's oidc-provider (Node), one process each.

`start_provider()` runs tests/oidc_provider/server.js on a free port of 127.0.0.1 with one
confidential client; the test sets its accounts and how it spoils ID tokens over plain JSON
(`/__test__/...`, see server.js). Tests that use it are marked `@pytest.mark.needs("nodejs")`.

Fixtures, imported where needed (pytest_plugins only works in the root conftest):

    from tests.oidc_provider.fixtures import oidc_provider_processes, oidc_providers

`oidc_provider_processes` (session) starts "kommun" and "hyresbostader"; `oidc_providers`
(function) resets both (mode normal, no accounts, no provider sessions) and returns them by name.
Their redirect URIs allow any port of 127.0.0.1 (`http://127.0.0.1:*/...`), as the live
server's port is not known in advance.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
INSTALL_SCRIPT = ROOT / "scripts" / "oidc-test-provider.sh"
START_TIMEOUT = 20.0

PROVIDER_NAMES = ("kommun", "hyresbostader")


def redirect_uris_for(name: str) -> list[str]:
    return [f"http://127.0.0.1:*/konto/oidc/{name}/callback/"]


POST_LOGOUT_REDIRECT_URIS = ["http://127.0.0.1:*/konto/utloggad/", "http://127.0.0.1:*/"]


class OidcTestProviderError(RuntimeError):
    pass


class OidcTestProvider:
    """One provider process: issuer http://127.0.0.1:<port>, one client."""

    def __init__(
        self,
        name: str,
        port: int,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str],
        post_logout_redirect_uris: list[str],
    ) -> None:
        self.name = name
        self.port = port
        self.issuer = f"http://127.0.0.1:{port}"
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = list(redirect_uris)
        self.post_logout_redirect_uris = list(post_logout_redirect_uris)
        self._process: subprocess.Popen | None = None
        self._log = None

    def __repr__(self) -> str:
        return f"<OidcTestProvider {self.name} {self.issuer}>"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    # Process

    def start(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise OidcTestProviderError("node is not installed (Debian package nodejs)")
        if not (HERE / "node_modules" / "oidc-provider").is_dir():
            raise OidcTestProviderError(
                "tests/oidc_provider/node_modules is missing: "
                "sh scripts/oidc-test-provider.sh install"
            )
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        env = {
            **os.environ,
            "PORT": str(self.port),
            "PROVIDER_NAME": self.name,
            "CLIENT_ID": self.client_id,
            "CLIENT_SECRET": self.client_secret,
            "REDIRECT_URIS": ",".join(self.redirect_uris),
            "POST_LOGOUT_REDIRECT_URIS": ",".join(self.post_logout_redirect_uris),
            # The process ends with the pipe, so with this test run even if it is killed.
            "EXIT_WITH_STDIN": "1",
        }
        self._process = subprocess.Popen(
            [node, "server.js"],
            cwd=HERE,
            env=env,
            stdin=subprocess.PIPE,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                self._fail(f"exited with {self._process.returncode}")
            try:
                status, body = self._request("GET", "/__test__/health", timeout=1)
                if status == 200 and body == b"ok":
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self._fail(f"not ready within {START_TIMEOUT:.0f} s")
            time.sleep(0.05)

    def output(self) -> str:
        """What the process has printed so far (stdout and stderr), for a failing test."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def _fail(self, what: str):
        output = self.output()
        self.stop()
        raise OidcTestProviderError(
            f"OpenID test provider {self.name} on port {self.port} {what}; its output:\n{output}"
        )

    def stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            if self._process.stdin:
                self._process.stdin.close()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    # Test control

    def _request(self, method: str, path: str, body=None, timeout: float = 10):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _control(self, method: str, path: str, body=None) -> bytes:
        status, content = self._request(method, f"/__test__/{path}", body)
        if status >= 400:
            raise OidcTestProviderError(
                f"{self.name}: {method} /__test__/{path} answered {status}: {content.decode()}"
            )
        return content

    def set_account(self, sub: str, **claims) -> None:
        """Creates or replaces the account `sub` with exactly these claims: email,
        email_verified, name, given_name, family_name, groups (list of str), unit (str)."""
        self._control("PUT", f"accounts/{quote(sub, safe='')}", claims)

    def remove_account(self, sub: str) -> None:
        self._control("DELETE", f"accounts/{quote(sub, safe='')}")

    def set_mode(self, mode: str) -> None:
        """normal, foreign-key, wrong-issuer, wrong-audience or no-nonce (see server.js)."""
        self._control("PUT", "mode", {"mode": mode})

    def reset(self) -> None:
        """Mode normal, no accounts, and no sessions, grants or codes at the provider."""
        self._control("POST", "reset")

    def last_token_request(self) -> dict | None:
        return json.loads(self._control("GET", "last-token-request"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def install() -> None:
    """npm ci when node_modules is missing or older than the lock (quiet, quick when current)."""
    result = subprocess.run(
        ["sh", str(INSTALL_SCRIPT), "install"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise OidcTestProviderError(
            f"{INSTALL_SCRIPT.name} install failed:\n{result.stdout}{result.stderr}"
        )


def start_provider(
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    client_id: str = "portal",
    client_secret: str = "portal-secret-for-tests",  # noqa: S107 - a test provider's
) -> OidcTestProvider:
    """Starts a provider on a free port and waits until it answers."""
    for attempt in range(3):
        provider = OidcTestProvider(
            name, free_port(), client_id, client_secret, redirect_uris, post_logout_redirect_uris
        )
        try:
            provider.start()
        except OidcTestProviderError as error:
            # Another process may have taken the free port in between.
            if "EADDRINUSE" not in str(error) or attempt == 2:
                raise
        else:
            return provider
    raise AssertionError("unreachable")


# One pair of processes however many conftests import the session fixture: each import is a
# fixture of its own to pytest, and each would otherwise start its own pair.
_running: dict[str, OidcTestProvider] = {}
_users = 0


@pytest.fixture(scope="session")
def oidc_provider_processes():
    global _users
    if not _running:
        install()
        try:
            for name in PROVIDER_NAMES:
                _running[name] = start_provider(
                    name,
                    redirect_uris_for(name),
                    POST_LOGOUT_REDIRECT_URIS,
                    client_id=f"portal-{name}",
                    client_secret=f"secret-{name}-for-tests",
                )
        except BaseException:
            for provider in _running.values():
                provider.stop()
            _running.clear()
            raise
    _users += 1
    try:
        yield dict(_running)
    finally:
        _users -= 1
        if _users == 0:
            for provider in _running.values():
                provider.stop()
            _running.clear()


@pytest.fixture
def oidc_providers(oidc_provider_processes):
    for provider in oidc_provider_processes.values():
        provider.reset()
    return dict(oidc_provider_processes)
