"""FastAPI dependencies that hand routes the objects the lifespan created (database, readiness probe)."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from edge_api.db import Database
from edge_api.readiness import ReadinessProbe


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


def get_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    database.ensure_schema()
    with database.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
ReadinessDep = Annotated[ReadinessProbe, Depends(get_readiness)]
