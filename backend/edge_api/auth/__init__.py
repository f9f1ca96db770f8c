"""Auth0 integration: settings, the JWKS cache and access token validation (routes wire these in)."""

from edge_api.auth.jwks import JWKSCache, JWKSStats, JWKSUnavailableError, KeyNotFoundError
from edge_api.auth.settings import AuthConfigError, AuthSettings, get_auth_settings, load_auth_settings
from edge_api.auth.tokens import (
    AuthError,
    AuthUnavailableError,
    Claims,
    ExpiredTokenError,
    ForbiddenError,
    InvalidTokenError,
    MissingTokenError,
    jwks_cache_for,
    validate_access_token,
)

__all__ = [
    "AuthConfigError",
    "AuthError",
    "AuthSettings",
    "AuthUnavailableError",
    "Claims",
    "ExpiredTokenError",
    "ForbiddenError",
    "InvalidTokenError",
    "JWKSCache",
    "JWKSStats",
    "JWKSUnavailableError",
    "KeyNotFoundError",
    "MissingTokenError",
    "get_auth_settings",
    "jwks_cache_for",
    "load_auth_settings",
    "validate_access_token",
]
