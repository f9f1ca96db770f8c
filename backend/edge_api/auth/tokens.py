"""Access token validation for Auth0-issued JWTs (RS256 only); typed errors map to 401, 403 or 503."""

import hmac
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jwt

from edge_api.auth.jwks import JWKSCache, JWKSUnavailableError, KeyNotFoundError
from edge_api.auth.settings import AuthSettings
from edge_api.auth.token_cache import VerifiedTokens

ALGORITHMS = ("RS256",)
# Auth0 sends typ JWT; RFC 9068 access tokens say at+jwt. Any other typ (a logout token, ...) is refused.
_ACCEPTED_TYP = frozenset({"jwt", "at+jwt", "application/at+jwt"})
MAX_TOKEN_BYTES = 16 * 1024
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class AuthError(Exception):
    """Credentials refused; ``status_code`` and ``www_authenticate()`` shape the HTTP answer."""

    status_code: ClassVar[int] = 401
    error: ClassVar[str] = "invalid_token"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def www_authenticate(self) -> str:
        """RFC 6750 challenge; the description never contains token material."""
        safe = self.description.replace("\\", "").replace('"', "'")
        return f'Bearer realm="edge-sidecar", error="{self.error}", error_description="{safe}"'


class InvalidTokenError(AuthError):
    """Malformed, badly signed, wrong issuer/audience, missing claims, or not an access token: 401."""


class MissingTokenError(InvalidTokenError):
    """No bearer token at all (RFC 6750: a bare challenge, no error code)."""

    def www_authenticate(self) -> str:
        return 'Bearer realm="edge-sidecar"'


class ExpiredTokenError(InvalidTokenError):
    """Past ``exp`` (beyond the leeway): 401; the app refreshes and retries."""


class ForbiddenError(AuthError):
    """A valid token that may not do this (wrong tenant, missing permission): 403."""

    status_code = 403
    error = "insufficient_scope"


class AuthUnavailableError(AuthError):
    """The tenant's keys could never be fetched, so no token can be judged: 503 (not the user's fault)."""

    status_code = 503
    error = "temporarily_unavailable"

    def www_authenticate(self) -> str:
        return 'Bearer realm="edge-sidecar"'


@dataclass(frozen=True)
class Claims:
    """What the API may rely on from a validated access token."""

    sub: str
    issuer: str
    audience: tuple[str, ...]
    issued_at: int
    expires_at: int
    scopes: frozenset[str]
    permissions: frozenset[str]
    azp: str | None
    tenant_id: str | None
    raw: Mapping[str, Any] = field(repr=False)


_caches: dict[tuple[str, float, float, float], JWKSCache] = {}
_caches_lock = threading.Lock()


def jwks_cache_for(settings: AuthSettings) -> JWKSCache:
    """The process-wide cache for this tenant (one per JWKS URL and timing settings)."""
    key = (
        settings.jwks_url,
        settings.auth0_jwks_timeout,
        settings.auth0_jwks_cooldown,
        settings.auth0_jwks_max_age,
    )
    with _caches_lock:
        cache = _caches.get(key)
        if cache is None:
            cache = JWKSCache(
                settings.jwks_url,
                timeout=settings.auth0_jwks_timeout,
                cooldown=settings.auth0_jwks_cooldown,
                max_age=settings.auth0_jwks_max_age,
            )
            _caches[key] = cache
        return cache


def _string_list(value: object, name: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise InvalidTokenError(f"claim {name} must be a list of strings")


def _signing_key(token: str, settings: AuthSettings, jwks: JWKSCache | None) -> Any:
    """Shape and header checks (RS256, typ, kid), then the tenant's key for the token's ``kid``."""
    if len(token) > MAX_TOKEN_BYTES or not _COMPACT_JWS.fullmatch(token):
        raise InvalidTokenError("malformed token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidTokenError("malformed token header") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise InvalidTokenError("token algorithm not allowed (RS256 only)")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in _ACCEPTED_TYP):
        raise InvalidTokenError("token type is not an access token")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidTokenError("token has no key id")
    cache = jwks if jwks is not None else jwks_cache_for(settings)
    try:
        return cache.get_signing_key(kid).key
    except KeyNotFoundError:
        raise InvalidTokenError("token signed by an unknown key") from None
    except JWKSUnavailableError:
        raise AuthUnavailableError("signing keys unavailable, try again shortly") from None


def _decode(token: str, key: Any, settings: AuthSettings, audience: str) -> dict[str, Any]:
    """Signature, ``iss`` (exact), ``aud`` (contains), ``exp``/``iat``/``sub`` required, with the leeway."""
    try:
        return jwt.decode(
            token,
            key,
            algorithms=list(ALGORITHMS),
            audience=audience,
            issuer=settings.issuer,
            leeway=settings.auth0_leeway,
            options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_signature": True},
        )
    except jwt.ExpiredSignatureError:
        raise ExpiredTokenError("token expired") from None
    except jwt.InvalidAudienceError:
        raise InvalidTokenError("token audience is not this API") from None
    except jwt.InvalidIssuerError:
        raise InvalidTokenError("token issuer is not the configured tenant") from None
    except jwt.MissingRequiredClaimError as error:
        raise InvalidTokenError(f"token lacks the {error.claim} claim") from None
    except jwt.ImmatureSignatureError:
        raise InvalidTokenError("token issued in the future") from None
    except jwt.InvalidSignatureError:
        raise InvalidTokenError("token signature invalid") from None
    except jwt.PyJWTError:
        raise InvalidTokenError("token invalid") from None


def validate_access_token(
    token: str,
    settings: AuthSettings,
    *,
    jwks: JWKSCache | None = None,
    verified: VerifiedTokens["Claims"] | None = None,
) -> Claims:
    """Validate an Auth0 access token for ``settings.audience`` and return its claims.

    RS256 only; ``iss`` must equal the tenant issuer exactly (trailing slash included); ``aud`` may be a
    string or a list but must contain the audience; ``exp``, ``iat`` and ``sub`` are required;
    ``settings.auth0_leeway`` seconds of clock skew are tolerated. ID tokens (``aud`` = the client id) are
    refused. Blocks for at most the JWKS timeout when a fetch is due: call it from a plain ``def`` dependency.
    With ``verified``, a token this function accepted before, with the same signing key, is answered from
    there until its ``exp`` (edge_api/auth/token_cache.py).
    """
    if not isinstance(token, str) or not token:
        raise MissingTokenError("no bearer token")
    try:
        key = _signing_key(token, settings, jwks)
    except AuthError:
        if verified is not None:
            verified.discard(token)  # its key was withdrawn, say: what was verified with it goes too
        raise
    if verified is not None and (known := verified.get(token, key)) is not None:
        return known
    claims = _claims(token, key, settings)
    if verified is not None:
        verified.put(token, key, claims.expires_at, claims)
    return claims


def _claims(token: str, key: Any, settings: AuthSettings) -> Claims:
    """Signature and claims checks of an access token whose signing key has been found."""
    payload = _decode(token, key, settings, settings.audience)
    aud = payload["aud"]
    audience = (aud,) if isinstance(aud, str) else tuple(a for a in aud if isinstance(a, str))
    if settings.auth0_client_id is not None and settings.auth0_client_id in audience:
        raise InvalidTokenError("an ID token is not an access token")
    sub = payload["sub"]
    if not isinstance(sub, str) or not sub:
        raise InvalidTokenError("token sub must be a non-empty string")
    scope = payload.get("scope", "")
    if not isinstance(scope, str):
        raise InvalidTokenError("claim scope must be a string")
    azp = payload.get("azp")
    tenant = payload.get(settings.auth0_tenant_claim)
    if tenant is not None and not isinstance(tenant, str):
        raise InvalidTokenError("tenant claim must be a string")
    return Claims(
        sub=sub,
        issuer=payload["iss"],
        audience=audience,
        issued_at=int(payload["iat"]),
        expires_at=int(payload["exp"]),
        scopes=frozenset(scope.split()),
        permissions=_string_list(payload.get("permissions"), "permissions"),
        azp=azp if isinstance(azp, str) else None,
        tenant_id=tenant,
        raw=payload,
    )


def validate_id_token(
    token: str, settings: AuthSettings, nonce: str, *, jwks: JWKSCache | None = None
) -> dict[str, Any]:
    """Claims of the ID token a code exchange returned: tenant key, ``aud`` = our client id, and the
    ``nonce`` this login sent (OIDC Core 3.1.3.7), so a token from another login cannot be slipped in."""
    if settings.auth0_client_id is None:
        raise InvalidTokenError("no client id configured to check the ID token against")
    key = _signing_key(token, settings, jwks)
    payload = _decode(token, key, settings, settings.auth0_client_id)
    claimed = payload.get("nonce")
    if not isinstance(claimed, str) or not hmac.compare_digest(claimed.encode(), nonce.encode()):
        raise InvalidTokenError("ID token nonce does not match this login")
    return payload
