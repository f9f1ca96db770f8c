"""Auth endpoints against a fake tenant: authorize URL, code exchange, refresh, logout, CSRF, errors."""

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from test_auth_support import (
    AUDIENCE,
    CLIENT_ID,
    HANG_TIMEOUT,
    REVOKE_PATH,
    TOKEN_PATH,
    JwksServer,
    Scripted,
    auth0_claims,
    bearer_headers,
    sign,
)

from edge_api.app import create_app

AUTH = "/api/v1/auth"
APP = "http://localhost:3001"
CALLBACK = f"{APP}/callback"
SAME_SITE = {"X-Requested-With": "fetch", "Origin": APP}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    # https: the auth cookies are Secure, and httpx (like a browser) sends those only over https.
    with TestClient(create_app(), base_url="https://testserver") as test_client:
        yield test_client


def set_cookies(response: Any) -> dict[str, str]:
    """Set-Cookie lines by cookie name."""
    return {line.split("=", 1)[0]: line for line in response.headers.get_list("set-cookie")}


def start_login(client: TestClient) -> dict[str, str]:
    """auth0-url for the app's callback; the authorize URL's query as a flat dict."""
    response = client.get(f"{AUTH}/auth0-url", params={"redirect_uri": CALLBACK}, headers={"Origin": APP})
    assert response.status_code == 200, response.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.json()["url"]).query).items()}
    assert query["state"] == response.json()["state"]
    return query


def tenant_tokens(tenant: JwksServer, nonce: str, *, access: dict[str, Any] | None = None) -> dict[str, Any]:
    """A token response as the tenant sends it after a code exchange."""
    key = tenant.keys[0]
    now = int(time.time())
    id_claims = {
        "iss": tenant.issuer,
        "sub": "auth0|dev-user",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 600,
        "nonce": nonce,
        "email": "dev@zebra.associates",
        "name": "Dev User",
    }
    return {
        "access_token": sign(key, auth0_claims(tenant.issuer, **(access or {}))),
        "id_token": sign(key, id_claims),
        "refresh_token": "refresh-1",
        "token_type": "Bearer",
        "expires_in": 600,
        "scope": "openid profile email offline_access read:items",
    }


def test_auth0_url_builds_a_pkce_authorize_request_bound_to_a_cookie(
    client: TestClient, fake_tenant: JwksServer
) -> None:
    response = client.get(f"{AUTH}/auth0-url", params={"redirect_uri": CALLBACK})
    url = urlsplit(response.json()["url"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{fake_tenant.issuer}authorize"
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK
    assert query["audience"] == AUDIENCE
    assert query["code_challenge_method"] == "S256"
    assert set(query["scope"].split()) == {"openid", "profile", "email", "offline_access"}
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    tx = set_cookies(response)["edge_auth_tx"].lower()
    for attribute in ("httponly", "secure", "samesite=strict", "path=/api/v1/auth", "max-age=600"):
        assert attribute in tx
    assert response.headers["cache-control"] == "no-store"
    # Two logins never share state, nonce or verifier.
    assert start_login(client)["state"] != start_login(client)["state"]


@pytest.mark.parametrize(
    "redirect_uri",
    [
        None,
        "",
        "/callback",
        "https://evil.example/callback",
        "http://localhost:3001.evil.test/callback",
        "http://localhost:3002/callback",
        "http://user@localhost:3001/callback",
        "http://localhost:3001/callback#fragment",
        "http://LOCALHOST:3001/callback",
        "javascript:alert(1)//localhost:3001",
        "http://localhost:99999/callback",
    ],
)
def test_auth0_url_refuses_redirects_off_the_cors_origins(
    client: TestClient, redirect_uri: str | None
) -> None:
    params = {} if redirect_uri is None else {"redirect_uri": redirect_uri}
    response = client.get(f"{AUTH}/auth0-url", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert "set-cookie" not in response.headers


def test_allowed_redirects_follow_cors_allow_origins(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv(
        "CORS_ALLOW_ORIGINS", "https://app.zebra.associates https://*.preview.zebra.associates"
    )
    with TestClient(create_app(), base_url="https://testserver") as client:
        for uri, status in [
            ("https://app.zebra.associates/callback", 200),
            ("https://pr-7.preview.zebra.associates/callback", 200),
            ("https://a.b.preview.zebra.associates/callback", 400),
            (CALLBACK, 400),  # not in this policy
        ]:
            assert client.get(f"{AUTH}/auth0-url", params={"redirect_uri": uri}).status_code == status, uri


def test_login_exchanges_the_code_with_the_pkce_verifier(client: TestClient, fake_tenant: JwksServer) -> None:
    query = start_login(client)
    fake_tenant.script[TOKEN_PATH] = Scripted(200, tenant_tokens(fake_tenant, query["nonce"]))
    response = client.post(
        f"{AUTH}/login", json={"code": "code-1", "state": query["state"]}, headers=SAME_SITE
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert body["user"] == {
        "sub": "auth0|dev-user",
        "email": "dev@zebra.associates",
        "name": "Dev User",
        "tenant_id": "demo",
        "permissions": ["read:items", "write:items"],
    }
    assert "refresh_token" not in body
    cookies = set_cookies(response)
    assert cookies["edge_refresh"].startswith("edge_refresh=refresh-1;")
    assert (
        "httponly" in cookies["edge_refresh"].lower() and "samesite=strict" in cookies["edge_refresh"].lower()
    )
    assert "max-age=0" in cookies["edge_auth_tx"].lower()
    # What the tenant received: form-encoded, client secret, the verifier matching the challenge.
    [(path, form)] = fake_tenant.posts
    assert path == TOKEN_PATH
    assert form["grant_type"] == "authorization_code" and form["code"] == "code-1"
    assert form["redirect_uri"] == CALLBACK and form["client_id"] == CLIENT_ID
    assert form["client_secret"] == os.environ["AUTH0_CLIENT_SECRET"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(b"=")
    assert challenge.decode() == query["code_challenge"]
    # The token works on the API.
    me = client.get(f"{AUTH}/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["sub"] == "auth0|dev-user" and me.json()["tenant_id"] == "demo"


def _tamper(value: str) -> str:
    return value[:-2] + ("AA" if not value.endswith("AA") else "BB")


@pytest.mark.parametrize(
    ("case", "expected_status", "expected_error", "detail"),
    [
        ("no-login-cookie", 400, "invalid_request", "cookie is missing"),
        ("tampered-login-cookie", 400, "invalid_request", "cookie is not valid"),
        ("state-mismatch", 400, "invalid_request", "state does not match"),
        ("id-token-nonce-mismatch", 502, "server_error", "nonce"),
        ("access-token-wrong-audience", 502, "server_error", "audience"),
    ],
)
def test_login_refuses_a_broken_transaction(
    client: TestClient,
    fake_tenant: JwksServer,
    case: str,
    expected_status: int,
    expected_error: str,
    detail: str,
) -> None:
    query = start_login(client)
    state = "other-state" if case == "state-mismatch" else query["state"]
    nonce = "other-nonce" if case == "id-token-nonce-mismatch" else query["nonce"]
    access = {"aud": "https://other.api"} if case == "access-token-wrong-audience" else None
    fake_tenant.script[TOKEN_PATH] = Scripted(200, tenant_tokens(fake_tenant, nonce, access=access))
    if case == "no-login-cookie":
        client.cookies.clear()
    if case == "tampered-login-cookie":
        jar = client.cookies
        value = jar.get("edge_auth_tx", path=AUTH)
        assert value
        jar.clear()
        jar.set("edge_auth_tx", _tamper(value), domain="testserver.local", path=AUTH)
    response = client.post(f"{AUTH}/login", json={"code": "c", "state": state}, headers=SAME_SITE)
    assert (response.status_code, response.json()["error"]) == (expected_status, expected_error), (
        response.text
    )
    assert "edge_refresh" not in set_cookies(response)


# What the tenant answers the code exchange -> what the app gets (Auth0's invalid_grant is a 403).
IDP_FAILURES = [
    (
        Scripted(403, {"error": "invalid_grant", "error_description": "Invalid authorization code"}),
        401,
        "invalid_grant",
    ),
    (
        Scripted(400, {"error": "invalid_request", "error_description": "Missing code"}),
        400,
        "invalid_request",
    ),
    (Scripted(401, {"error": "invalid_client", "error_description": "Unauthorized"}), 500, "server_error"),
    (
        Scripted(429, {"error": "too_many_requests"}, {"x-ratelimit-reset": str(int(time.time()) + 30)}),
        429,
        None,
    ),
    (Scripted(500, {"error": "server_error"}), 503, "temporarily_unavailable"),
    (Scripted(502, None), 503, "temporarily_unavailable"),
    (Scripted(200, {"no": "tokens"}), 503, "temporarily_unavailable"),
    (Scripted(hang=True), 503, "temporarily_unavailable"),
]


@pytest.mark.parametrize(("answer", "expected_status", "expected_error"), IDP_FAILURES)
def test_tenant_failures_become_clear_api_errors(
    client: TestClient,
    fake_tenant: JwksServer,
    answer: Scripted,
    expected_status: int,
    expected_error: str | None,
) -> None:
    query = start_login(client)
    fake_tenant.script[TOKEN_PATH] = answer
    started = time.monotonic()
    response = client.post(f"{AUTH}/login", json={"code": "c", "state": query["state"]}, headers=SAME_SITE)
    assert time.monotonic() - started < HANG_TIMEOUT + 10  # AUTH0_HTTP_TIMEOUT bounds a hanging tenant
    assert response.status_code == expected_status, response.text
    body = response.json()
    assert body["error"] == (expected_error or "too_many_requests")
    assert body["detail"] and "secret" not in json.dumps(body).lower()
    if expected_status == 429:
        assert 1 <= int(response.headers["retry-after"]) <= 31
    if expected_error == "invalid_grant":
        assert "Invalid authorization code" in body["detail"]
        assert response.headers["www-authenticate"].startswith("Bearer ")


@pytest.mark.parametrize("endpoint", ["login", "refresh", "logout"])
@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, False),
        ({"Origin": APP}, False),  # allowed page, but no custom header: a plain form could send this
        ({"X-Requested-With": "x", "Origin": "https://evil.example"}, False),
        ({"X-Requested-With": "x", "Origin": "null"}, False),
        ({"X-Requested-With": "x"}, True),  # no Origin: not a cross-site browser request
        ({"X-Requested-With": "x", "Origin": APP}, True),
    ],
)
def test_cookie_endpoints_refuse_cross_site_requests(
    client: TestClient, endpoint: str, headers: dict[str, str], allowed: bool
) -> None:
    response = client.post(f"{AUTH}/{endpoint}", json={"code": "c", "state": "s"}, headers=headers)
    if allowed:
        assert response.status_code != 403 or response.json()["error"] != "csrf_rejected", response.text
    else:
        assert (response.status_code, response.json()["error"]) == (403, "csrf_rejected")


def test_refresh_rotates_the_cookie_and_a_spent_token_clears_it(
    client: TestClient, fake_tenant: JwksServer
) -> None:
    assert client.post(f"{AUTH}/refresh", headers=SAME_SITE).json()["error"] == "login_required"
    client.cookies.set("edge_refresh", "refresh-1", domain="testserver.local", path=AUTH)
    fake_tenant.script[TOKEN_PATH] = Scripted(
        200, {**tenant_tokens(fake_tenant, "n"), "refresh_token": "refresh-2"}
    )
    response = client.post(f"{AUTH}/refresh", headers=SAME_SITE)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "token_type", "expires_in", "scope"}
    assert set_cookies(response)["edge_refresh"].startswith("edge_refresh=refresh-2;")
    assert fake_tenant.posts[-1][1] | {"client_secret": ""} == {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": "",
        "refresh_token": "refresh-1",
    }
    fake_tenant.script[TOKEN_PATH] = Scripted(403, {"error": "invalid_grant", "error_description": "reused"})
    spent = client.post(f"{AUTH}/refresh", headers=SAME_SITE)
    assert (spent.status_code, spent.json()["error"]) == (401, "invalid_grant")
    assert "max-age=0" in set_cookies(spent)["edge_refresh"].lower()


@pytest.mark.parametrize(
    ("revoke_answer", "revoked"), [(Scripted(200, {}), True), (Scripted(503, None), False)]
)
def test_logout_revokes_clears_the_cookie_and_returns_the_tenant_logout_url(
    client: TestClient, fake_tenant: JwksServer, revoke_answer: Scripted, revoked: bool
) -> None:
    client.cookies.set("edge_refresh", "refresh-9", domain="testserver.local", path=AUTH)
    fake_tenant.script[REVOKE_PATH] = revoke_answer
    response = client.post(f"{AUTH}/logout", headers=SAME_SITE)
    assert response.status_code == 200, response.text
    assert response.json()["revoked"] is revoked
    logout = urlsplit(response.json()["logout_url"])
    assert f"{logout.scheme}://{logout.netloc}{logout.path}" == f"{fake_tenant.issuer}v2/logout"
    assert parse_qs(logout.query) == {"client_id": [CLIENT_ID], "returnTo": [f"{APP}/"]}
    assert "max-age=0" in set_cookies(response)["edge_refresh"].lower()
    assert fake_tenant.posts[-1][0] == REVOKE_PATH and fake_tenant.posts[-1][1]["token"] == "refresh-9"
    refused = client.post(f"{AUTH}/logout", json={"return_to": "https://evil.example/"}, headers=SAME_SITE)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_request")


def test_without_client_credentials_login_is_503_but_tokens_still_validate(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.delenv("AUTH0_CLIENT_SECRET")
    with TestClient(create_app(), base_url="https://testserver") as client:
        response = client.get(f"{AUTH}/auth0-url", params={"redirect_uri": CALLBACK})
        assert (response.status_code, response.json()["error"]) == (503, "login_not_configured")
        assert client.get(f"{AUTH}/me", headers=bearer_headers("acme")).status_code == 200


@pytest.mark.processes
@pytest.mark.parametrize(
    ("unset", "changed", "message"),
    [
        ("AUTH0_AUDIENCE", {}, "AUTH0_AUDIENCE is required"),
        ("AUTH0_ISSUER", {}, "AUTH0_DOMAIN is required"),
        ("", {"AUTH0_LEEWAY": "-5"}, "AUTH0_LEEWAY"),
        ("", {"DATABASE_URL": "mysql://db/app"}, "DATABASE_URL uses unsupported driver 'mysql'"),
        ("", {"DB_HEALTH_TIMEOUT": "0"}, "DB_HEALTH_TIMEOUT"),
        # Started without the launcher and without its hand-down: the CSRF guard names what is missing.
        ("CORS_ALLOW_ORIGINS", {}, "CORS_ALLOW_ORIGINS: not set; the API's CSRF guard"),
    ],
)
def test_the_service_refuses_bad_configuration_with_the_config_exit_status(
    unset: str, changed: dict[str, str], message: str
) -> None:
    """One JSON line naming the variable and exit status 78 (EX_CONFIG), which stops the stack at once."""
    backend = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k != unset} | changed
    env["PYTHONPATH"] = str(backend)  # edge_sidecar is an installed package
    result = subprocess.run(
        [sys.executable, "-c", "import edge_api.main"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 78, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert message in json.loads(line)["msg"]
