"""Direct mode's ASGI app: the configured APP_MODULE wrapped in the CORS policy (uvicorn --factory)."""

from __future__ import annotations

import os

from uvicorn.importer import import_from_string

from edge_sidecar.config import effective_env, load_defaults, parse_runtime
from edge_sidecar.cors_asgi import ASGIApp, CorsPolicyMiddleware


def create_app() -> ASGIApp:
    config = parse_runtime(effective_env(os.environ, load_defaults()))
    app: ASGIApp = import_from_string(config.app_module)
    return CorsPolicyMiddleware(app, config.policy)
