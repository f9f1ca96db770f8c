"""Service settings read from the environment (12-factor, no prefix): DATABASE_URL, DB_HEALTH_TIMEOUT."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

# backend/edge_api/config.py -> parents: edge_api, backend, repo root.
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = REPO_ROOT / "data" / "app.db"

# Driver names the service can run with (sync engine, drivers from requirements.lock).
SUPPORTED_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite", "postgresql+psycopg"})
# Schemes hosting platforms hand out (Railway: postgresql://, Heroku-style: postgres://).
_POSTGRES_ALIASES = frozenset({"postgres", "postgresql"})


def default_database_url() -> str:
    """SQLite file ``data/app.db`` under the repository root (the directory is created on startup)."""
    return URL.create("sqlite", database=str(DEFAULT_SQLITE_PATH)).render_as_string(hide_password=False)


def normalise_database_url(raw: str) -> str:
    """Map ``postgres://``/``postgresql://`` to psycopg 3 and reject URLs the service cannot use.

    Error messages never repeat the URL: it usually carries a password.
    """
    value = raw.strip()
    if not value:
        raise ValueError("DATABASE_URL is empty")
    scheme, separator, rest = value.partition("://")
    if not separator:
        raise ValueError("DATABASE_URL is not a URL (expected scheme://...)")
    scheme = scheme.lower()
    if scheme in _POSTGRES_ALIASES:
        scheme = "postgresql+psycopg"
    value = f"{scheme}://{rest}"
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):  # ValueError: e.g. a non-numeric port
        raise ValueError("DATABASE_URL could not be parsed") from None
    if url.drivername not in SUPPORTED_DRIVERS:
        raise ValueError(
            f"DATABASE_URL uses unsupported driver {url.drivername!r}; use sqlite:///<path> or postgresql://..."
        )
    return value


class Settings(BaseSettings):
    """Everything the service reads from its environment; other variables are ignored."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    database_url: str = Field(default_factory=default_database_url)
    db_health_timeout: float = Field(default=0.8, gt=0, le=60, allow_inf_nan=False)

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        return normalise_database_url(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the process environment, read once (tests call ``get_settings.cache_clear()``)."""
    return Settings()
