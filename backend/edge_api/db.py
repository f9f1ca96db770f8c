"""Database engine and sessions: SQLite (WAL, busy timeout) by default, Postgres via psycopg 3."""

import logging
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from edge_api.models import Base

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_SECONDS = 5.0
POSTGRES_CONNECT_TIMEOUT_SECONDS = 2


def _is_sqlite_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _set_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
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
    return engine


def _postgres_engine(url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_SECONDS
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def build_engine(database_url: str) -> Engine:
    """Engine for a URL from ``Settings``; creates the directory of a SQLite file."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return _postgres_engine(url)


class Database:
    """One engine, its session factory, and table creation that retries until the database is reachable."""

    def __init__(self, database_url: str) -> None:
        self.engine = build_engine(database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def ensure_schema(self) -> None:
        """Create missing tables once; raises while the database is unreachable."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if not self._schema_ready:
                Base.metadata.create_all(self.engine)
                self._schema_ready = True

    def try_ensure_schema(self) -> bool:
        """Startup variant: an unreachable database is logged (readiness reports it), not fatal."""
        try:
            self.ensure_schema()
        except Exception:
            logger.warning("database unreachable at startup; tables created once it answers", exc_info=True)
            return False
        return True

    def ping(self) -> None:
        """Raise unless the database answers ``SELECT 1`` and the tables exist."""
        self.ensure_schema()
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
