"""Settings: DATABASE_URL forms (Railway/Heroku Postgres URLs map to psycopg 3), defaults, health timeout."""

import pytest
from pydantic import ValidationError

from edge_api.config import REPO_ROOT, Settings, get_settings


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db.internal:5432/app", "postgresql+psycopg://u:p@db.internal:5432/app"),
        ("postgresql://u:p@db.internal:5432/app", "postgresql+psycopg://u:p@db.internal:5432/app"),
        ("POSTGRESQL://u:p@h/app", "postgresql+psycopg://u:p@h/app"),
        ("postgresql://u:p@h/app?sslmode=require", "postgresql+psycopg://u:p@h/app?sslmode=require"),
        ("postgresql+psycopg://u:p@h/app", "postgresql+psycopg://u:p@h/app"),
        ("  postgres://u:p@h/app\n", "postgresql+psycopg://u:p@h/app"),
        ("sqlite:////srv/app/data/app.db", "sqlite:////srv/app/data/app.db"),
        ("sqlite:///relative/app.db", "sqlite:///relative/app.db"),
        ("sqlite+pysqlite:///app.db", "sqlite+pysqlite:///app.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_url_forms(monkeypatch: pytest.MonkeyPatch, raw: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", raw)
    assert Settings().database_url == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "db.internal:5432/app",
        "mysql://u:p@h/app",
        "postgresql+psycopg2://u:p@h/app",
        "postgresql+asyncpg://u:p@h/app",
        "postgres://u:p@h:notaport/app",
    ],
)
def test_database_url_rejected_without_echoing_it(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("DATABASE_URL", raw)
    with pytest.raises(ValidationError) as error:
        Settings()
    message = str(error.value)
    assert "DATABASE_URL" in message
    if raw.strip():
        assert raw.strip() not in message
    assert ":p@" not in message


def test_database_url_defaults_to_sqlite_under_repo_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL")
    assert (REPO_ROOT / "backend" / "edge_api").is_dir()
    assert Settings().database_url == f"sqlite:///{REPO_ROOT / 'data' / 'app.db'}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, 0.8), ("0.25", 0.25), ("2", 2.0)],
)
def test_db_health_timeout(monkeypatch: pytest.MonkeyPatch, raw: str | None, expected: float) -> None:
    if raw is not None:
        monkeypatch.setenv("DB_HEALTH_TIMEOUT", raw)
    assert Settings().db_health_timeout == expected


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "nan", "inf", ""])
def test_db_health_timeout_rejected(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("DB_HEALTH_TIMEOUT", raw)
    with pytest.raises(ValidationError):
        Settings()


def test_get_settings_is_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    assert get_settings() is first
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h/other")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().database_url == "postgresql+psycopg://u:p@h/other"
