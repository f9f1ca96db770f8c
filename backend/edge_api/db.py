"""Database engine and sessions: SQLite (WAL, busy timeout) by default, Postgres via psycopg 3."""

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from edge_api import migrate
from edge_api.migrate import DatabaseUnavailable, MigrationError

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_SECONDS = 5.0
# Postgres pool and timeouts; the measurements behind them are in docs/bench/postgres.md (make bench-db).
# A new connection (TCP + SCRAM, CPU-bound on the server) on a loaded 2-core machine: 2 s was seen to
# be too short beside a CPU hog; readiness has its own, shorter bound (DB_HEALTH_TIMEOUT).
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5
# uvicorn runs plain `def` routes in AnyIO's thread pool (40 threads): at most POOL_SIZE + MAX_OVERFLOW
# of them hold a connection, the others wait POOL_TIMEOUT for one and then answer 503, so a slow or
# hung server costs a bounded number of connections per replica (20; two replicas and a deploy's
# overlap: 80, within Postgres' default max_connections of 100).
POOL_SIZE = 10
MAX_OVERFLOW = 10
POOL_TIMEOUT_SECONDS = 5.0
# Server-side bounds (libpq `options`): a runaway statement, and a session left idle inside a
# transaction by a client that died mid-way, end instead of holding locks and a connection.
STATEMENT_TIMEOUT_MS = 5000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 10000


def _is_sqlite_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    # Transactions begun by SQLAlchemy, not by the driver: pysqlite's own handling never opens one
    # before DDL, so a failed migration would leave half a schema. With BEGIN emitted on SQLAlchemy's
    # "begin" (below), DDL is transactional as on Postgres. The documented recipe:
    # https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {
        # Plain `def` routes run in a threadpool; a connection may move between threads.
        "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
    }
    if _is_sqlite_memory(url):
        kwargs["poolclass"] = StaticPool  # one shared in-memory database instead of one per connection
    elif url.database and "uri" not in url.query:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
    return engine


def _postgres_engine(url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_SECONDS
    if "options" not in url.query:  # a URL's own options win (a DBA may know better)
        connect_args["options"] = (
            f"-c statement_timeout={STATEMENT_TIMEOUT_MS} "
            f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
        )
    return create_engine(
        url,
        # A connection the server closed (a restart, a failover) is replaced at checkout, not used.
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args=connect_args,
    )


def build_engine(database_url: str) -> Engine:
    """Engine for a URL from ``Settings``; creates the directory of a SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return _postgres_engine(url)


def _raise(error: MigrationError) -> NoReturn:
    raise error


class Database:
    """One engine, its session factory, and migrations that retry until the database is reachable.

    ``on_migration_error`` is called when a migration fails on a reachable database (the app passes
    one that stops the process); by default the error is raised.
    """

    def __init__(
        self, database_url: str, on_migration_error: Callable[[MigrationError], NoReturn] = _raise
    ) -> None:
        self.engine = build_engine(database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._on_migration_error = on_migration_error
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def ensure_schema(self) -> None:
        """Migrate once (edge_api.migrate); raises DatabaseUnavailable while the database is unreachable."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if not self._schema_ready:
                try:
                    migrate.upgrade(self.engine)
                except MigrationError as error:
                    self._on_migration_error(error)
                self._schema_ready = True

    def try_ensure_schema(self) -> bool:
        """Startup variant: an unreachable database is logged (readiness reports it), not fatal."""
        try:
            self.ensure_schema()
        except DatabaseUnavailable as error:
            logger.warning("database unreachable at startup (%s); migrating once it answers", error)
            return False
        return True

    def ping(self) -> None:
        """Raise unless the database answers ``SELECT 1`` and the tables exist."""
        self.ensure_schema()
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def migrate_before_serving(database_url: str) -> None:
    """The first migration attempt, on an engine of its own, before the server accepts anything.

    Raises MigrationError (the entry point exits with the configuration status, as for its other
    refusals, in either mode); an unreachable database is only logged: the lifespan and readiness
    probes keep trying, and migrate once it answers.
    """
    database = Database(database_url)
    try:
        database.try_ensure_schema()
    finally:
        database.dispose()
