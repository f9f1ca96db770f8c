"""Calls to the tenant's /oauth/token and /oauth/revoke (form-encoded, bounded); errors as API answers.

Auth0 takes JSON too, but form encoding is what RFC 6749 specifies and what every OAuth server accepts
(the local stand-in only accepts form). Errors come back as RFC 6749 JSON ``{"error", "error_description"}``;
``invalid_grant`` arrives with HTTP 403 (https://auth0.com/docs/api/authentication#standard-error-responses)
and becomes a 401 here, because for the browser app it means "log in again".
"""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from edge_api.auth.settings import AuthSettings
from edge_api.errors import ApiError

_MAX_BODY = 64 * 1024
_USER_AGENT = "edge-sidecar-auth/1"


@dataclass(frozen=True)
class TokenSet:
    """A successful token response (authorization code or refresh grant)."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str
    refresh_token: str | None
    id_token: str | None


class IdPError(Exception):
    """The tenant refused or failed a call: ``status`` is its HTTP status (None: unreachable or garbled)."""

    def __init__(
        self, status: int | None, error: str, description: str = "", retry_after: str | None = None
    ) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.status = status
        self.error = error
        self.description = description
        self.retry_after = retry_after


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The token endpoint answers itself; following a redirect could send the client secret elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _retry_after(headers: Any) -> str | None:
    """Auth0 sends ``x-ratelimit-reset`` (epoch seconds) on 429; some servers send ``Retry-After``."""
    if headers is None:
        return None
    value = str(headers.get("Retry-After") or "")
    if value.strip().isdigit():
        return value.strip()
    reset = str(headers.get("x-ratelimit-reset") or "")
    if reset.strip().isdigit():
        return str(max(1, int(reset.strip()) - int(time.time())))
    return None


def post_form(url: str, form: dict[str, str], timeout: float) -> dict[str, Any]:
    """POST ``form`` and return the JSON object of a 2xx answer; IdPError otherwise. Blocks ≤ ~timeout."""
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(  # noqa: S310  # the URL is the configured tenant's (settings check it)
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = response.read(_MAX_BODY + 1)
            status = int(getattr(response, "status", 200))
    except urllib.error.HTTPError as error:
        document = _json_object(error.read(_MAX_BODY)) or {}
        code = document.get("error")
        description = document.get("error_description")
        raise IdPError(
            error.code,
            code if isinstance(code, str) and code else f"http_{error.code}",
            description if isinstance(description, str) else "",
            _retry_after(error.headers),
        ) from None
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        raise IdPError(None, "unreachable", str(getattr(error, "reason", error))) from None
    if not 200 <= status < 300:  # 3xx: redirects are not followed
        raise IdPError(status, f"http_{status}")
    if len(body) > _MAX_BODY:
        raise IdPError(status, "garbled", "answer too large")
    if not body.strip():
        return {}
    parsed = _json_object(body)
    if parsed is None:
        raise IdPError(status, "garbled", "answer is not a JSON object")
    return parsed


def _token_set(document: dict[str, Any]) -> TokenSet:
    access = document.get("access_token")
    if not isinstance(access, str) or not access:
        raise IdPError(200, "garbled", "no access_token in the token response")
    expires_in = document.get("expires_in")
    refresh = document.get("refresh_token")
    id_token = document.get("id_token")
    scope = document.get("scope")
    token_type = document.get("token_type")
    return TokenSet(
        access_token=access,
        token_type=token_type if isinstance(token_type, str) else "Bearer",
        expires_in=expires_in if isinstance(expires_in, int) and expires_in > 0 else 0,
        scope=scope if isinstance(scope, str) else "",
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        id_token=id_token if isinstance(id_token, str) and id_token else None,
    )


def login_client(settings: AuthSettings) -> tuple[str, str]:
    """``(client_id, client_secret)``; a 503 when this deployment only validates tokens."""
    if settings.auth0_client_id is None or settings.auth0_client_secret is None:
        raise ApiError(
            503, "login_not_configured", "login is not configured (AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET)"
        )
    return settings.auth0_client_id, settings.auth0_client_secret.get_secret_value()


def _client(settings: AuthSettings) -> dict[str, str]:
    client_id, client_secret = login_client(settings)
    return {"client_id": client_id, "client_secret": client_secret}


def exchange_code(settings: AuthSettings, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
    form = {
        "grant_type": "authorization_code",
        **_client(settings),
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    return _token_set(post_form(settings.token_url, form, settings.auth0_http_timeout))


def refresh(settings: AuthSettings, refresh_token: str) -> TokenSet:
    form = {"grant_type": "refresh_token", **_client(settings), "refresh_token": refresh_token}
    return _token_set(post_form(settings.token_url, form, settings.auth0_http_timeout))


def revoke(settings: AuthSettings, refresh_token: str) -> None:
    form = {**_client(settings), "token": refresh_token, "token_type_hint": "refresh_token"}
    post_form(settings.revoke_url, form, settings.auth0_http_timeout)


# The tenant's error -> what the browser app gets. Anything not listed is the tenant's or our fault: 503.
_CLIENT_ERRORS: dict[str, tuple[int, str]] = {
    "invalid_grant": (401, "the code or refresh token is invalid, expired or already used: log in again"),
    "access_denied": (403, "the identity provider denied access"),
    "invalid_request": (400, "the identity provider rejected the request"),
    "unauthorized_client": (500, "this API's client may not use this grant (check the Auth0 application)"),
    "invalid_client": (500, "the identity provider refused this API's client credentials"),
    "unsupported_grant_type": (500, "the identity provider does not allow this grant for this API"),
}


def idp_failure(error: IdPError) -> ApiError:
    """Map a tenant failure to a clear API answer; the tenant's own description is kept when it sent one."""
    if error.status == 429:
        headers = {"Retry-After": error.retry_after} if error.retry_after else {}
        return ApiError(429, "too_many_requests", "the identity provider is rate-limiting logins", headers)
    known = _CLIENT_ERRORS.get(error.error)
    if known is not None and error.status is not None and 400 <= error.status < 500:
        status, detail = known
        server_side = status >= 500
        # Every 401 carries a challenge (RFC 9110 §15.5.2); the app reads it as "log in again".
        challenge = {"WWW-Authenticate": 'Bearer realm="edge-sidecar"'} if status == 401 else {}
        return ApiError(
            status,
            "server_error" if server_side else error.error,
            detail if server_side or not error.description else f"{detail} ({error.description})",
            challenge,
        )
    return ApiError(503, "temporarily_unavailable", "the identity provider is unavailable, try again shortly")
