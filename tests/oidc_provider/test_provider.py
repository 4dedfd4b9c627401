"""The OpenID test provider itself: discovery, a full code flow with PKCE as a relying party does
it, and the spoilt ID tokens of its modes, checked against its JWKS with joserfc (what Authlib
1.9's OpenID client verifies ID tokens with; authlib.jose is deprecated)."""

import base64
import hashlib
import html
import json
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from tests.oidc_provider.fixtures import install, start_provider

pytestmark = pytest.mark.needs("nodejs")

REDIRECT_URI = "http://127.0.0.1:54321/konto/oidc/test/callback/"
POST_LOGOUT_REDIRECT_URI = "http://127.0.0.1:54321/konto/utloggad/"
CLAIMS = {
    "email": "anna.andersson@example.se",
    "email_verified": True,
    "name": "Anna Andersson",
    "given_name": "Anna",
    "family_name": "Andersson",
    "groups": ["planerare", "granskare"],
    "unit": "Samhällsbyggnad",
}


@pytest.fixture(scope="module")
def provider():
    install()
    provider = start_provider(
        "selftest",
        ["http://127.0.0.1:*/konto/oidc/test/callback/"],
        ["http://127.0.0.1:*/konto/utloggad/", "http://127.0.0.1:*/"],
    )
    yield provider
    provider.stop()


@pytest.fixture
def op(provider):
    provider.reset()
    provider.set_account("anna", **CLAIMS)
    return provider


def browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy for 127.0.0.1
    return session


def discovery(provider) -> dict:
    return browser().get(provider.discovery_url, timeout=5).json()


def form_of(page: str) -> tuple[str, dict[str, str]]:
    action = html.unescape(re.search(r'<form[^>]* action="([^"]+)"', page).group(1))
    inputs = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return action, inputs


def authorize(provider, session, login="anna", **extra):
    """To the provider's login page and through it; returns the last response."""
    config = discovery(provider)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": provider.client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid email profile groups",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        **extra,
    }
    login_page = session.get(f"{config['authorization_endpoint']}?{urlencode(params)}", timeout=5)
    assert login_page.status_code == 200, login_page.text
    assert 'name="login"' in login_page.text
    assert 'name="password"' in login_page.text
    assert ">Sign-in</button>" in login_page.text
    action, _ = form_of(login_page.text)
    response = session.post(
        f"{provider.issuer}{action}",
        data={"login": login, "password": "vad som helst"},
        allow_redirects=False,
        timeout=5,
    )
    while response.is_redirect and not response.headers["Location"].startswith(REDIRECT_URI):
        response = session.get(response.headers["Location"], allow_redirects=False, timeout=5)
    return response, params, verifier


def code_flow(provider, session=None, client_auth="client_secret_basic") -> tuple[dict, dict]:
    """Logs in as anna; returns the token response and the authorization request's params."""
    session = session or browser()
    response, params, verifier = authorize(provider, session)
    assert response.status_code == 303, response.text
    callback = parse_qs(urlsplit(response.headers["Location"]).query)
    assert callback["state"] == [params["state"]]
    assert callback["iss"] == [provider.issuer]
    data = {
        "grant_type": "authorization_code",
        "code": callback["code"][0],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    auth = (provider.client_id, provider.client_secret)
    if client_auth == "client_secret_post":
        data.update(client_id=provider.client_id, client_secret=provider.client_secret)
        auth = None
    token = browser().post(discovery(provider)["token_endpoint"], data=data, auth=auth, timeout=5)
    assert token.status_code == 200, token.text
    return token.json(), params


def keys(provider):
    jwks = browser().get(discovery(provider)["jwks_uri"], timeout=5).json()
    return KeySet.import_key_set(jwks)


def test_discovery_names_the_issuer_and_its_key(op):
    config = discovery(op)
    assert config["issuer"] == op.issuer
    assert config["end_session_endpoint"] == f"{op.issuer}/session/end"
    jwks = browser().get(config["jwks_uri"], timeout=5).json()
    assert [(key["kty"], key["alg"]) for key in jwks["keys"]] == [("RSA", "RS256")]
    assert "d" not in jwks["keys"][0]


def test_code_flow_gives_an_id_token_with_every_claim(op):
    tokens, params = code_flow(op)
    claims = jwt.decode(tokens["id_token"], keys(op), algorithms=["RS256"]).claims
    assert claims["iss"] == op.issuer
    assert claims["aud"] == op.client_id
    assert claims["nonce"] == params["nonce"]
    assert claims["sub"] == "anna"
    assert {name: claims[name] for name in CLAIMS} == CLAIMS

    userinfo = browser().get(
        discovery(op)["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )
    assert userinfo.json() == {"sub": "anna", **CLAIMS}
    assert op.last_token_request()["authMethod"] == "client_secret_basic"


def test_the_client_may_send_its_secret_in_the_body_too(op):
    tokens, _ = code_flow(op, client_auth="client_secret_post")
    assert "id_token" in tokens
    assert op.last_token_request()["authMethod"] == "body"


def test_foreign_key_mode_signs_with_another_key_under_the_real_kid(op):
    op.set_mode("foreign-key")
    tokens, _ = code_flow(op)
    with pytest.raises(BadSignatureError):
        jwt.decode(tokens["id_token"], keys(op), algorithms=["RS256"])

    op.set_mode("normal")
    tokens, _ = code_flow(op)
    assert jwt.decode(tokens["id_token"], keys(op), algorithms=["RS256"]).claims["sub"] == "anna"


@pytest.mark.parametrize(
    ("mode", "claim", "value"),
    [
        ("wrong-issuer", "iss", "http://127.0.0.1:1/evil"),
        ("wrong-audience", "aud", "some-other-client"),
        ("no-nonce", "nonce", None),
    ],
)
def test_modes_change_a_claim_under_the_real_signature(op, mode, claim, value):
    op.set_mode(mode)
    tokens, _ = code_flow(op)
    claims = jwt.decode(tokens["id_token"], keys(op), algorithms=["RS256"]).claims
    assert claims.get(claim) == value
    assert claims["groups"] == CLAIMS["groups"]


def test_an_unknown_or_removed_account_is_refused(op):
    op.remove_account("anna")
    response, _, _ = authorize(op, browser())
    assert response.status_code == 401
    assert "Unknown account: anna" in response.text


def test_a_redirect_uri_on_another_host_or_path_is_refused(op):
    for redirect_uri in [
        "http://example.org:54321/konto/oidc/test/callback/",
        "http://127.0.0.1:54321/annat/",
    ]:
        response = browser().get(
            discovery(op)["authorization_endpoint"],
            params={
                "client_id": op.client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "openid",
            },
            allow_redirects=False,
            timeout=5,
        )
        assert response.status_code == 400
        assert "redirect_uri" in response.text


def test_logout_returns_to_the_post_logout_redirect_uri_without_a_click(op):
    session = browser()
    tokens, _ = code_flow(op, session)
    page = session.get(
        discovery(op)["end_session_endpoint"],
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": POST_LOGOUT_REDIRECT_URI,
            "state": "s1",
        },
        timeout=5,
    )
    assert page.status_code == 200
    assert "document.forms[0].submit()" in page.text
    action, inputs = form_of(page.text)
    assert inputs["logout"] == "yes"
    response = session.post(action, data=inputs, allow_redirects=False, timeout=5)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{POST_LOGOUT_REDIRECT_URI}?state=s1"

    # Signed out at the provider: the next authorization asks for a login again.
    response, _, _ = authorize(op, session)
    assert response.status_code == 303


def test_the_fixtures_give_two_providers_reset_for_each_test(oidc_providers):
    assert sorted(oidc_providers) == ["hyresbostader", "kommun"]
    kommun, hyresbostader = oidc_providers["kommun"], oidc_providers["hyresbostader"]
    assert kommun.issuer != hyresbostader.issuer
    assert discovery(kommun)["issuer"] == kommun.issuer
    kommun.set_account("anna", **CLAIMS)
    kommun.set_mode("no-nonce")
    kommun.reset()
    assert kommun._control("GET", "accounts") == b"{}"
    assert json.loads(kommun._control("GET", "mode")) == {"mode": "normal"}
