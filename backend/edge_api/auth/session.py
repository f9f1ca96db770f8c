"""The login session's steps, without HTTP: start (authorize URL), finish (code exchange), refresh, end.

Routes in ``edge_api.routes.auth`` only move values between these functions and cookies. Each step
blocks on the tenant for at most AUTH0_HTTP_TIMEOUT (plus a JWKS fetch): call from plain ``def`` routes.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from edge_api.auth import idp, transaction
from edge_api.auth.deps import AuthContext
from edge_api.auth.settings import AuthSettings
from edge_api.auth.tokens import AuthError, Claims, validate_access_token, validate_id_token
from edge_api.errors import ApiError

SCOPE = "openid profile email offline_access"


@dataclass(frozen=True)
class Started:
    url: str
    state: str
    cookie: str


@dataclass(frozen=True)
class Tokens:
    """What the browser app gets (the refresh token goes to the cookie, never to the body)."""

    tokens: idp.TokenSet
    claims: Claims
    user: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.tokens.access_token,
            "token_type": "Bearer",
            "expires_in": self.tokens.expires_in or max(0, self.claims.expires_at - self.claims.issued_at),
            "scope": self.tokens.scope or " ".join(sorted(self.claims.scopes)),
        }
        if self.user is not None:
            body["user"] = self.user
        return body


def _client_id(settings: AuthSettings) -> str:
    return idp.login_client(settings)[0]


def _tx_key(settings: AuthSettings) -> bytes:
    return transaction.signing_key(idp.login_client(settings)[1])


def start(auth: AuthContext, redirect_uri: str | None) -> Started:
    """The tenant's /authorize URL (code flow, PKCE S256, state, nonce, audience) and its cookie."""
    client_id = _client_id(auth.settings)
    if not redirect_uri:
        raise ApiError(400, "invalid_request", "redirect_uri is required")
    try:
        auth.origins.check_redirect(redirect_uri, "redirect_uri")
    except ValueError as error:
        raise ApiError(400, "invalid_request", str(error)) from None
    tx = transaction.new_transaction(redirect_uri)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "audience": auth.settings.audience,
            "state": tx.state,
            "nonce": tx.nonce,
            "code_challenge": tx.challenge,
            "code_challenge_method": "S256",
        }
    )
    cookie = transaction.encode(tx, _tx_key(auth.settings))
    return Started(f"{auth.settings.authorize_url}?{query}", tx.state, cookie)


def _validated(settings: AuthSettings, tokens: idp.TokenSet) -> Claims:
    """The tenant just issued it, but the API only ever hands out tokens it would itself accept."""
    try:
        return validate_access_token(tokens.access_token, settings)
    except AuthError as error:
        detail = f"the identity provider issued an unusable token: {error.description}"
        raise ApiError(502, "server_error", detail) from None


def finish(auth: AuthContext, tx_cookie: str | None, code: str, state: str) -> Tokens:
    """Exchange the callback's code (with this login's PKCE verifier) for tokens and describe the user."""
    settings = auth.settings
    try:
        tx = transaction.decode(tx_cookie, _tx_key(settings))
    except transaction.TransactionError as error:
        raise ApiError(400, "invalid_request", str(error)) from None
    if not transaction.state_matches(tx, state):
        raise ApiError(400, "invalid_request", "state does not match this login (start again)")
    try:
        tokens = idp.exchange_code(settings, code, tx.redirect_uri, tx.verifier)
    except idp.IdPError as error:
        raise idp.idp_failure(error) from None
    claims = _validated(settings, tokens)
    profile: dict[str, Any] = {}
    if tokens.id_token is not None:
        try:
            profile = validate_id_token(tokens.id_token, settings, tx.nonce)
        except AuthError as error:
            detail = f"the identity provider's ID token is unusable: {error.description}"
            raise ApiError(502, "server_error", detail) from None
    user = {
        "sub": claims.sub,
        "email": profile.get("email"),
        "name": profile.get("name"),
        "tenant_id": claims.tenant_id,
        "permissions": sorted(claims.permissions),
    }
    return Tokens(tokens, claims, user)


def renew(auth: AuthContext, refresh_token: str | None) -> Tokens:
    """Rotate: the tenant answers with a new access token and a new refresh token (the old one is spent)."""
    _client_id(auth.settings)
    if not refresh_token:
        challenge = {"WWW-Authenticate": 'Bearer realm="edge-sidecar"'}
        raise ApiError(401, "login_required", "no session: log in", challenge)
    try:
        tokens = idp.refresh(auth.settings, refresh_token)
    except idp.IdPError as error:
        raise idp.idp_failure(error) from None
    return Tokens(tokens, _validated(auth.settings, tokens))


def end(auth: AuthContext, refresh_token: str | None, return_to: str | None) -> dict[str, Any]:
    """Revoke the refresh token (best effort: the cookie goes anyway) and build the tenant's logout URL."""
    client_id = _client_id(auth.settings)
    if return_to is not None:
        try:
            auth.origins.check_redirect(return_to, "return_to")
        except ValueError as error:
            raise ApiError(400, "invalid_request", str(error)) from None
    revoked = False
    if refresh_token:
        try:
            idp.revoke(auth.settings, refresh_token)
            revoked = True
        except idp.IdPError:
            revoked = False
    query = {"client_id": client_id, **({"returnTo": return_to} if return_to else {})}
    return {"logout_url": f"{auth.settings.logout_url}?{urlencode(query)}", "revoked": revoked}
