"""Auth0 settings from the environment: AUTH0_DOMAIN (or loopback AUTH0_ISSUER), AUTH0_AUDIENCE, client."""

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TENANT_CLAIM = "https://zebra.associates/tenant_id"

# A DNS host name (Auth0 tenant domain or custom domain): labels of letters, digits and hyphens.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})+")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# AUTH0_JWKS_COOLDOWN: the least seconds between JWKS fetches caused by unknown `kid`s. 0 would refetch
# on every junk token (one request to the tenant per request); 1 s bounds a flood to one fetch a second.
JWKS_COOLDOWN_MIN = 1.0
_NUMBER_FIELDS = (
    "auth0_leeway",
    "auth0_jwks_timeout",
    "auth0_jwks_cooldown",
    "auth0_jwks_max_age",
    "auth0_token_cache_size",
    "auth0_http_timeout",
    "auth0_refresh_cookie_max_age",
)


class AuthConfigError(ValueError):
    """Invalid or missing Auth0 configuration; the message names the variable and never repeats a secret."""


def normalise_domain(raw: str) -> str:
    """``tenant.eu.auth0.com`` (no scheme, path, port or trailing slash), lower-cased."""
    value = raw.strip().lower()
    if not _HOSTNAME.fullmatch(value):
        raise ValueError(
            "AUTH0_DOMAIN must be a host name like tenant.eu.auth0.com "
            "(no https://, path, port or trailing slash)"
        )
    return value


def normalise_local_issuer(raw: str) -> str:
    """A loopback issuer for the local stand-in: ``http://127.0.0.1:<port>/`` (localhost and [::1] too)."""
    value = raw.strip()
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        raise ValueError("AUTH0_ISSUER has an invalid port") from None
    if (
        parts.scheme not in ("http", "https")
        or parts.hostname not in _LOOPBACK_HOSTS
        or parts.path != "/"
        or parts.query
        or parts.fragment
        or parts.username is not None
        or parts.password is not None
        or (port is not None and not 0 < port < 65536)
    ):
        raise ValueError(
            "AUTH0_ISSUER is only for the local stand-in: http://127.0.0.1:<port>/ or "
            "http://localhost:<port>/ with a trailing slash (production uses AUTH0_DOMAIN)"
        )
    return value


class AuthSettings(BaseSettings):
    """Everything token validation and the auth endpoints read; other variables are ignored.

    The issuer is ``https://<AUTH0_DOMAIN>/`` (Auth0 puts the trailing slash in ``iss``).
    ``AUTH0_ISSUER``, when set, replaces it with a loopback URL for the local stand-in and is refused for
    anything else.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    auth0_domain: str | None = None
    auth0_issuer: str | None = None
    auth0_audience: str
    auth0_client_id: str | None = None
    auth0_client_secret: SecretStr | None = None
    auth0_tenant_claim: str = DEFAULT_TENANT_CLAIM
    auth0_leeway: int = Field(default=30, ge=0, le=300)
    auth0_jwks_timeout: float = Field(default=2.0, gt=0, le=30, allow_inf_nan=False)
    auth0_jwks_cooldown: float = Field(default=30.0, le=3600, allow_inf_nan=False)
    auth0_jwks_max_age: float = Field(default=600.0, gt=0, le=86400, allow_inf_nan=False)
    # Validated access tokens remembered until their exp (auth/token_cache.py); 0 validates every call.
    auth0_token_cache_size: int = Field(default=1024, ge=0, le=100_000)
    # Token and revoke calls to the tenant (login, refresh, logout): bounded so a slow tenant is a 503.
    auth0_http_timeout: float = Field(default=5.0, gt=0, le=30, allow_inf_nan=False)
    # Lifetime of the refresh cookie; Auth0's refresh token lifetime is set in the tenant (default 30 days).
    auth0_refresh_cookie_max_age: int = Field(default=30 * 24 * 3600, gt=0, le=365 * 24 * 3600)

    @field_validator(*_NUMBER_FIELDS, mode="before")
    @classmethod
    def _ascii_digits(cls, value: Any) -> Any:
        # Full-width or Arabic-Indic digits: refused by name, as the entrypoint refuses its numbers.
        if isinstance(value, str) and not value.isascii():
            raise ValueError(f"{value.strip()!r} has non-ASCII characters; write the number in digits 0-9")
        return value

    @field_validator("auth0_jwks_cooldown")
    @classmethod
    def _cooldown(cls, value: float) -> float:
        if value < JWKS_COOLDOWN_MIN:
            raise ValueError(
                f"AUTH0_JWKS_COOLDOWN must be at least {JWKS_COOLDOWN_MIN:g} s: below it every token with an "
                "unknown kid makes a JWKS request to the tenant"
            )
        return value

    @field_validator("auth0_domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else normalise_domain(value)

    @field_validator("auth0_issuer")
    @classmethod
    def _issuer(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else normalise_local_issuer(value)

    @field_validator("auth0_audience")
    @classmethod
    def _audience(cls, value: str) -> str:
        if not value.strip() or value != value.strip():
            raise ValueError("AUTH0_AUDIENCE must be the API identifier: non-empty, no surrounding spaces")
        return value

    @field_validator("auth0_client_id")
    @classmethod
    def _client_id(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else value.strip()

    @field_validator("auth0_client_secret")
    @classmethod
    def _client_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None or not value.get_secret_value().strip() else value

    @field_validator("auth0_tenant_claim")
    @classmethod
    def _tenant_claim(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("AUTH0_TENANT_CLAIM must not be empty")
        return value.strip()

    @model_validator(mode="after")
    def _consistent(self) -> "AuthSettings":
        if self.auth0_domain is None and self.auth0_issuer is None:
            raise ValueError("AUTH0_DOMAIN is required (or AUTH0_ISSUER for the local stand-in)")
        if self.auth0_client_id is not None and self.auth0_client_id == self.auth0_audience:
            raise ValueError("AUTH0_AUDIENCE must be the API identifier, not AUTH0_CLIENT_ID")
        return self

    @property
    def issuer(self) -> str:
        """Exact ``iss`` of the tenant's tokens, with the trailing slash."""
        if self.auth0_issuer is not None:
            return self.auth0_issuer
        return f"https://{self.auth0_domain}/"

    @property
    def audience(self) -> str:
        return self.auth0_audience

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}.well-known/jwks.json"

    @property
    def authorize_url(self) -> str:
        return f"{self.issuer}authorize"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}oauth/token"

    @property
    def revoke_url(self) -> str:
        return f"{self.issuer}oauth/revoke"

    @property
    def logout_url(self) -> str:
        return f"{self.issuer}v2/logout"


def describe_validation_error(error: ValidationError) -> str:
    """One line naming the variable: ``AUTH0_AUDIENCE is required`` or the validator's own message."""
    first = error.errors()[0]
    variable = str(first["loc"][0]).upper() if first["loc"] else ""
    if first["type"] == "missing":
        return f"{variable} is required"
    message = str(first["msg"]).removeprefix("Value error, ")
    return message if not variable or variable in message else f"{variable}: {message}"


def load_auth_settings() -> AuthSettings:
    """Auth settings from the process environment; AuthConfigError with one clear line when invalid."""
    try:
        # pydantic-settings fills the required fields from the environment.
        return AuthSettings()  # type: ignore[call-arg]
    except ValidationError as error:
        raise AuthConfigError(describe_validation_error(error)) from None


@lru_cache(maxsize=1)
def get_auth_settings() -> AuthSettings:
    """Read once per process (tests call ``get_auth_settings.cache_clear()``)."""
    return load_auth_settings()
