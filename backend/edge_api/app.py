"""Application factory: ``create_app(settings)`` builds a fresh FastAPI app (no CORS: the sidecar owns it)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from edge_api.config import Settings, get_settings
from edge_api.db import Database
from edge_api.log_setup import configure_logging
from edge_api.readiness import ReadinessProbe
from edge_api.request_id import RequestIdMiddleware
from edge_api.routes import health, items


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; nothing touches the filesystem or the database until its lifespan starts."""
    resolved = settings if settings is not None else get_settings()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(resolved.database_url)
        await asyncio.to_thread(database.try_ensure_schema)
        probe = ReadinessProbe(database, resolved.db_health_timeout)
        app.state.database = database
        app.state.readiness = probe
        try:
            yield
        finally:
            probe.close()
            database.dispose()

    app = FastAPI(title="edge-sidecar reference API", lifespan=lifespan)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    app.include_router(items.router)
    return app
