"""Application factory: ``create_app(settings)`` builds a fresh FastAPI app (no CORS: the sidecar owns it).

Hygiene (docs/security.md §7): no redirect is ever made from the request (a trailing-slash redirect is built
from the caller's Host, so it went to any host the caller named), and the OpenAPI docs are off unless
``API_DOCS=true`` (local use): in production they would publish every route and schema to anyone.
"""

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NoReturn

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from edge_api.auth.deps import AuthContext
from edge_api.auth.origins import TrustedOrigins
from edge_api.auth.settings import AuthSettings, load_auth_settings
from edge_api.auth.tokens import AuthError
from edge_api.config import Settings, get_settings
from edge_api.db import Database
from edge_api.errors import (
    ApiError,
    handle_api_error,
    handle_auth_error,
    handle_http_exception,
    handle_validation_error,
)
from edge_api.log_setup import configure_logging
from edge_api.migrate import MigrationError
from edge_api.readiness import ReadinessProbe
from edge_api.request_id import RequestIdMiddleware
from edge_api.routes import auth, health, items
from edge_sidecar.supervision import CONFIG_EXIT


class DocsSettings(BaseSettings):
    """``API_DOCS``: serve ``/docs``, ``/redoc`` and ``/openapi.json``; ``true`` or ``false`` (default)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    api_docs: bool = False

    @field_validator("api_docs", mode="before")
    @classmethod
    def _true_or_false(cls, value: object) -> object:
        # Only the two words, as CORS_ALLOW_CREDENTIALS: pydantic's own bool would also take yes/on/1.
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise ValueError("API_DOCS must be true or false")
        return text == "true"


def stop_on_migration_error(error: MigrationError) -> NoReturn:
    """A failed migration fails the same way on every start: one line, then the configuration exit status,
    which stops the stack at once (deploy/edge_sidecar/supervision.py) instead of a restart loop.

    main.py's first attempt, before serving, catches the usual case (exit code 2 in both modes); this is
    for a database that was down at start and then refused the migration (the lifespan's or the first
    readiness probe's attempt), before any route used it. In direct mode that exits 78."""
    logging.getLogger("edge_api.migrate").critical("%s; the API does not start", error)
    logging.shutdown()
    os._exit(CONFIG_EXIT)


def create_app(
    settings: Settings | None = None,
    auth_settings: AuthSettings | None = None,
    api_docs: bool | None = None,
) -> FastAPI:
    """Build the app; nothing touches the filesystem or the database until its lifespan starts.

    Auth settings are read here, not lazily: a deployment without a valid AUTH0_* configuration fails at
    start (AuthConfigError naming the variable) instead of answering every login with an error.
    """
    resolved = settings if settings is not None else get_settings()
    docs = api_docs if api_docs is not None else DocsSettings().api_docs
    auth_context = AuthContext(
        auth_settings if auth_settings is not None else load_auth_settings(),
        TrustedOrigins.from_env(os.environ),
    )
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(resolved.database_url, on_migration_error=stop_on_migration_error)
        await asyncio.to_thread(database.try_ensure_schema)
        probe = ReadinessProbe(database, resolved.db_health_timeout)
        app.state.database = database
        app.state.readiness = probe
        try:
            yield
        finally:
            probe.close()
            database.dispose()

    app = FastAPI(
        title="edge-sidecar reference API",
        lifespan=lifespan,
        # Every route is declared without a trailing slash; "/api/v1/items/" is a 404, not a redirect.
        # Starlette's redirect_slashes builds an absolute Location from the request's Host header (an open
        # redirect to any host the caller names) and, made relative, "//evil.example/x/" would still leave
        # the site. No API client needs it: the routes are documented, and a redirected cross-origin POST
        # fails in the browser anyway.
        redirect_slashes=False,
        # Off unless API_DOCS=true: /docs, /redoc, /openapi.json and /docs/oauth2-redirect are then 404s.
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    app.state.auth = auth_context
    app.add_middleware(RequestIdMiddleware)
    app.add_exception_handler(ApiError, handle_api_error)
    app.add_exception_handler(AuthError, handle_auth_error)
    # Bad input is always a JSON 4xx {"detail", "error"}: never an echo that fails to encode (a 500).
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(items.router)
    return app
