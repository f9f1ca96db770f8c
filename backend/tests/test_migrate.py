"""Migrations at start: to head once under a lock, legacy tables stamped, failures one clear line."""

import fcntl
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from edge_api import migrate
from edge_api.db import build_engine
from edge_api.migrate import DatabaseUnavailable, MigrationError
from edge_api.models import Base

pytestmark = pytest.mark.both_databases

HEAD = "0001"


def insert(engine: Engine, name: str) -> None:
    with engine.begin() as connection:
        statement = text("INSERT INTO items (tenant_id, name, created_at) VALUES ('t', :n, CURRENT_DATE)")
        connection.execute(statement, {"n": name})


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = build_engine(database_url)
    yield built
    built.dispose()


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_empty_database_is_migrated_to_head_and_matches_the_models(engine: Engine) -> None:
    assert migrate.upgrade(engine) == HEAD
    assert revision(engine) == HEAD
    with engine.connect() as connection:
        # Autogenerate's own comparison: no table, column, type or index differs from models.py.
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_upgrade_at_head_changes_nothing(engine: Engine) -> None:
    migrate.upgrade(engine)
    insert(engine, "kept")
    assert migrate.upgrade(engine) == HEAD
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM items")).scalars().all() == ["kept"]


def test_tables_made_before_migrations_are_stamped_not_recreated(engine: Engine) -> None:
    Base.metadata.create_all(engine)  # what every release before migrations did at start
    insert(engine, "old")
    assert migrate.upgrade(engine) == HEAD
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM items")).scalars().all() == ["old"]
    assert revision(engine) == HEAD


def _upgrade_at(database_url: str, start: Any) -> str:
    """One replica's start, in a process of its own (Alembic's context is per process, as in production)."""
    engine = build_engine(database_url)
    start.wait()
    try:
        return migrate.upgrade(engine)
    finally:
        engine.dispose()


@pytest.mark.processes
def test_concurrent_upgrades_migrate_once(database_url: str) -> None:
    """Four processes (four replicas starting together) upgrade one empty database at once."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(4, mp_context=context) as pool:
        start = manager.Barrier(4)
        futures = [pool.submit(_upgrade_at, database_url, start) for _ in range(4)]
        results = [future.result(timeout=120) for future in futures]
    assert results == [HEAD] * 4
    with build_engine(database_url).connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]


def test_a_failing_migration_raises_one_line_without_credentials(engine: Engine, database_url: str) -> None:
    # A table holding the name the index needs: CREATE INDEX fails on either backend, every time.
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE ix_items_tenant_id_created_at (id INTEGER)"))
    with pytest.raises(MigrationError) as raised:
        migrate.upgrade(engine)
    message = str(raised.value)
    assert message.startswith(f"migration to {HEAD} failed: ")
    assert "ix_items_tenant_id_created_at" in message
    assert "\n" not in message
    password = engine.url.password
    assert password is None or password not in message
    # The failed migration left nothing behind (Postgres: transactional DDL; SQLite: also transactional).
    assert revision(engine) is None
    assert not inspect(engine).has_table("items")


def test_a_database_newer_than_this_release_is_served_unchanged(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    assert migrate.upgrade(engine) == "f00d"
    assert "which this release does not know" in caplog.text


def test_a_held_lock_is_waited_for_then_reported_as_unavailable(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migrate, "LOCK_WAIT_SECONDS", 0.5)
    with held_lock(engine), pytest.raises(DatabaseUnavailable, match="lock"):
        migrate.upgrade(engine)
    assert migrate.upgrade(engine) == HEAD  # released: the next start migrates


class held_lock:
    """The migration lock taken by someone else (another replica mid-migration)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.path = engine.url.database

    def __enter__(self) -> None:
        if self.engine.dialect.name == "postgresql":
            self.connection = self.engine.connect()
            self.connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": migrate.LOCK_KEY})
        else:
            self.handle = open(f"{self.path}.migrate-lock", "a+b")
            fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        if self.engine.dialect.name == "postgresql":
            self.connection.invalidate()  # ends the session, and its lock with it
            self.connection.close()
        else:
            self.handle.close()
