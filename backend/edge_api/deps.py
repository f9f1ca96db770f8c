"""FastAPI dependencies that hand routes the objects the lifespan created (database, readiness probe)."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from edge_api.db import Database
from edge_api.errors import ApiError
from edge_api.migrate import DatabaseUnavailable, first_line
from edge_api.readiness import ReadinessProbe

# The database down, hung past the pool timeout, or dropping the connection mid-query: a 503 the
# client may retry (with the proxy's CORS like any answer), not a 500 with a traceback in the log.
logger = logging.getLogger(__name__)
_UNAVAILABLE = (DatabaseUnavailable, OperationalError, PoolTimeout)


def get_database(request: Request) -> Database:
    database = getattr(request.app.state, "database", None)
    if not isinstance(database, Database):
        raise RuntimeError("database not initialised: the app must run with its lifespan")
    return database


def get_readiness(request: Request) -> ReadinessProbe:
    probe = getattr(request.app.state, "readiness", None)
    if not isinstance(probe, ReadinessProbe):
        raise RuntimeError("readiness probe not initialised: the app must run with its lifespan")
    return probe


@contextmanager
def session_scope(database: Database) -> Iterator[Session]:
    """A session that lives and dies inside one route call.

    Not a `yield` dependency on purpose: FastAPI runs a sync dependency's teardown in a threadpool
    call of its own, after the route. Under load every worker thread can be waiting for a pooled
    connection while the sessions holding those connections wait for a thread to close them
    (measured: 27 s stalls at 64 connections until the pool timeout fired). Closing the session in
    the route's own thread returns the connection before that thread is released.
    """
    try:
        database.ensure_schema()
        with database.sessions() as session:
            yield session
    except _UNAVAILABLE as error:
        logger.warning("database unavailable: %s", first_line(error))
        detail = "The database is unavailable; try again shortly."
        raise ApiError(503, "database_unavailable", detail, {"Retry-After": "5"}) from None


DatabaseDep = Annotated[Database, Depends(get_database)]
ReadinessDep = Annotated[ReadinessProbe, Depends(get_readiness)]
