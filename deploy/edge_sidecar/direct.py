"""Direct mode's ASGI app: the configured APP_MODULE wrapped in the CORS policy (uvicorn --factory).

Outermost, the request id as the sidecar's Caddyfile handles it (request_ids.py): every request gets
one sane X-Request-ID, which the app sees and every response carries (the CORS wrapper's own too).

Also the in-container fallback's app (supervisord.conf [program:direct], EDGE_FALLBACK set): the
same, with `/health` saying the stack is degraded.
"""

from __future__ import annotations

import os

from uvicorn.importer import import_from_string

from edge_sidecar.config import effective_env, load_defaults, parse_runtime
from edge_sidecar.cors_asgi import ASGIApp, CorsPolicyMiddleware
from edge_sidecar.fallback_health import FallbackHealth
from edge_sidecar.request_ids import RequestIdEdge


def create_app() -> ASGIApp:
    config = parse_runtime(effective_env(os.environ, load_defaults()))
    app: ASGIApp = import_from_string(config.app_module)
    if os.environ.get("EDGE_FALLBACK"):
        app = FallbackHealth(app)
    return RequestIdEdge(CorsPolicyMiddleware(app, config.policy))
