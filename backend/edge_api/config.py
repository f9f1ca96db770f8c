"""Service settings read from the environment (12-factor, no prefix): DATABASE_URL, DB_HEALTH_TIMEOUT."""

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL

# One check for each variable, shared with the entrypoint, which refuses them before anything starts.
from edge_sidecar.config import (
    DB_HEALTH_TIMEOUT_MAX,
    SUPPORTED_DRIVERS,
    db_health_timeout,
    normalise_database_url,
)
from edge_sidecar.policy import ConfigError

__all__ = ["SUPPORTED_DRIVERS", "Settings", "default_database_url", "get_settings", "normalise_database_url"]

# backend/edge_api/config.py -> parents: edge_api, backend, repo root.
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = REPO_ROOT / "data" / "app.db"


def default_database_url() -> str:
    """SQLite file ``data/app.db`` under the repository root (the directory is created on startup)."""
    return URL.create("sqlite", database=str(DEFAULT_SQLITE_PATH)).render_as_string(hide_password=False)


class Settings(BaseSettings):
    """Everything the service reads from its environment; other variables are ignored."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    database_url: str = Field(default_factory=default_database_url)
    db_health_timeout: float = Field(default=0.8, gt=0, le=DB_HEALTH_TIMEOUT_MAX, allow_inf_nan=False)

    @field_validator("db_health_timeout", mode="before")
    @classmethod
    def _ascii_number(cls, value: Any) -> Any:
        # ASCII digits only (float() takes full-width ones), the same rule and message as the entrypoint's.
        if isinstance(value, str):
            try:
                return db_health_timeout(value)
            except ConfigError as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        return normalise_database_url(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the process environment, read once (tests call ``get_settings.cache_clear()``)."""
    return Settings()
