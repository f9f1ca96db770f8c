"""Schema migrations (Alembic, edge_api/migrations) applied at start, once, however many replicas start.

Every replica runs ``upgrade`` when it starts. A lock held for the whole upgrade makes concurrent
starts take turns: the first migrates, the others then find the database at head and do nothing.
- Postgres: a session-level advisory lock (``pg_try_advisory_lock``) on the migrating connection;
  it is released when that connection ends, so a replica killed mid-migration frees it (and its
  transaction, with the DDL in it, is rolled back: Postgres DDL is transactional).
  https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
- SQLite (one machine by construction): ``flock`` on a file beside the database.

Outcomes: a database that cannot be reached (or whose lock stays taken past LOCK_WAIT_SECONDS) raises
``DatabaseUnavailable`` and the caller tries again later; anything else that goes wrong while
migrating raises ``MigrationError`` with one line naming the revision, and the app stops (a retry
would fail the same way). A database at a revision this release does not know (a newer release
migrated it, and this one was rolled back to) is served as it is, with a warning: migrations are
expand-only (docs/deploy.md), so an older release still works on a newer schema.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

logger = logging.getLogger(__name__)

SCRIPTS = Path(__file__).resolve().parent / "migrations"
# The revision that matches the schema create_all made before migrations existed (stamped, not run).
BASELINE = "0001"
# One key for this schema's migrations in pg_advisory_lock's 64-bit space: stable across releases.
LOCK_KEY = zlib.crc32(b"edge-sidecar/migrations")
LOCK_WAIT_SECONDS = 120.0
_LOCK_POLL_SECONDS = 0.2


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or locked now; starting again later may work."""


class MigrationError(RuntimeError):
    """A migration failed on a reachable database; the message is one line, without credentials."""


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


def first_line(error: BaseException) -> str:
    """``Type: first line`` of a database error: the driver's own message, never the SQL or its parameters."""
    original = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(original).strip().splitlines()
    return f"{type(original).__name__}: {lines[0] if lines else ''}"


@contextlib.contextmanager
def _postgres_lock(connection: Connection) -> Iterator[None]:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar():
        connection.commit()
        if time.monotonic() > deadline:
            waited = f"{LOCK_WAIT_SECONDS:.0f} s"
            raise DatabaseUnavailable(f"migration lock still held by another replica after {waited}")
        time.sleep(_LOCK_POLL_SECONDS)
    connection.commit()
    try:
        yield
    finally:
        with contextlib.suppress(DBAPIError):  # a lost connection has released it already
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            connection.commit()


@contextlib.contextmanager
def _sqlite_lock(database: str | None) -> Iterator[None]:
    if database in (None, "", ":memory:"):  # private to this process: nobody to take turns with
        yield
        return
    try:
        handle = open(f"{database}.migrate-lock", "a+b")  # noqa: SIM115 (closed below, after the yield)
    except OSError as error:  # the directory is not there or not writable: like a file that cannot open
        raise DatabaseUnavailable(f"{type(error).__name__}: {error.strerror}") from None
    with handle:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DatabaseUnavailable("migration lock file still locked by another process") from None
                time.sleep(_LOCK_POLL_SECONDS)
        yield  # closing the file releases the lock


def _upgrade_locked(connection: Connection) -> str:
    config = _config(connection)
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head()
    current = MigrationContext.configure(connection).get_current_revision()
    connection.commit()
    if current is None and inspect(connection).has_table("items"):
        logger.info("database made before migrations: stamping revision %s", BASELINE)
        command.stamp(config, BASELINE)
        connection.commit()
        current = BASELINE
    if current is not None and current not in {script.revision for script in scripts.walk_revisions()}:
        logger.warning(
            "database is at revision %s, which this release does not know (its head is %s): "
            "serving it unchanged (migrations are expand-only)",
            current,
            head,
        )
        return current
    if current == head:
        return str(head)
    logger.info("migrating database from %s to %s", current or "empty", head)
    command.upgrade(config, "head")
    connection.commit()
    logger.info("database at revision %s", head)
    return str(head)


def upgrade(engine: Engine) -> str:
    """Bring the database to this release's head under the lock; returns the revision it is at."""
    if engine.dialect.name == "postgresql":
        return _connect_and_upgrade(engine, postgres=True)
    # SQLite: locked before connecting, since even a first connection's PRAGMA journal_mode=WAL (db.py)
    # fails at once, busy timeout or not, while another process does the same on a new file.
    with _sqlite_lock(make_url(str(engine.url)).database):
        return _connect_and_upgrade(engine, postgres=False)


def _connect_and_upgrade(engine: Engine, postgres: bool) -> str:
    try:
        connection = engine.connect()
    except OperationalError as error:
        raise DatabaseUnavailable(first_line(error)) from None
    with connection:
        try:
            if not postgres:
                return _upgrade_locked(connection)
            # The app's statement_timeout (db.py) is for requests; a migration may take longer.
            connection.execute(text("SET statement_timeout = 0"))
            connection.commit()
            with _postgres_lock(connection):
                return _upgrade_locked(connection)
        except DatabaseUnavailable:
            raise
        except DBAPIError as error:
            if error.connection_invalidated:  # the server went away mid-way; the DDL was rolled back
                raise DatabaseUnavailable(first_line(error)) from None
            raise MigrationError(f"migration to {_head()} failed: {first_line(error)}") from None
        except Exception as error:
            raise MigrationError(f"migration to {_head()} failed: {first_line(error)}") from None
        finally:
            # Never back to the pool: its session settings and any lock end with it.
            connection.invalidate()


def _head() -> str:
    return str(ScriptDirectory.from_config(_config()).get_current_head())
