"""FastAPI dependencies for auth: the app's auth context, the bearer token's claims, and the CSRF guard.

``bearer_claims`` is a plain ``def`` on purpose: FastAPI runs it in the threadpool, so a JWKS fetch (bounded
by AUTH0_JWKS_TIMEOUT) never blocks the event loop.
"""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from edge_api.auth.origins import TrustedOrigins
from edge_api.auth.settings import AuthSettings
from edge_api.auth.token_cache import VerifiedTokens
from edge_api.auth.tokens import Claims, InvalidTokenError, MissingTokenError, validate_access_token
from edge_api.errors import ApiError

# Any value will do: a cross-site form or <img> cannot set a custom header, and a cross-origin fetch that
# sets one needs a preflight, which Caddy refuses for origins outside the CORS policy.
CSRF_HEADER = "X-Requested-With"


@dataclass(frozen=True)
class AuthContext:
    settings: AuthSettings
    origins: TrustedOrigins
    verified: VerifiedTokens[Claims] = field(init=False)

    def __post_init__(self) -> None:
        # One cache per app: its entries are only valid for this app's issuer, audience and claims.
        object.__setattr__(self, "verified", VerifiedTokens[Claims](self.settings.auth0_token_cache_size))


def get_auth(request: Request) -> AuthContext:
    context = getattr(request.app.state, "auth", None)
    if not isinstance(context, AuthContext):
        raise RuntimeError("auth not initialised: build the app with create_app()")
    return context


AuthDep = Annotated[AuthContext, Depends(get_auth)]


def bearer_token(request: Request) -> str:
    """The token of exactly one ``Authorization: Bearer <token>`` header (RFC 6750 §2.1)."""
    values = request.headers.getlist("authorization")
    if not values:
        raise MissingTokenError("no bearer token")
    scheme, _, token = values[0].partition(" ")
    if len(values) > 1 or scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
        raise InvalidTokenError("Authorization must be one 'Bearer <token>' header")
    return token.strip()


def bearer_claims(request: Request, auth: AuthDep) -> Claims:
    return validate_access_token(bearer_token(request), auth.settings, verified=auth.verified)


ClaimsDep = Annotated[Claims, Depends(bearer_claims)]


def require_same_site(request: Request, auth: AuthDep) -> None:
    """Refuse a cookie-bound POST a foreign page could have sent: no custom header, or a foreign Origin."""
    origin = request.headers.get("origin")
    if origin is not None and not auth.origins.allows(origin):
        raise ApiError(403, "csrf_rejected", "requests from this Origin are not accepted")
    if not request.headers.get(CSRF_HEADER, "").strip():
        raise ApiError(403, "csrf_rejected", f"the {CSRF_HEADER} header is required on this endpoint")


SameSiteGuard = Depends(require_same_site)
