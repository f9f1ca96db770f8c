"""Direct mode's ASGI app: the configured APP_MODULE wrapped in the CORS policy (uvicorn --factory).

Outermost, the request id as the sidecar's Caddyfile handles it (request_ids.py): every request gets
one sane X-Request-ID, which the app sees and every response carries (the CORS wrapper's own too).
Innermost, the Caddyfile's body limits (limits.py): a body over its route's limit is a JSON 413, with
CORS from the wrapper, and the app never holds more of it than the limit. The header limit is
uvicorn's protocol (limits.HeaderLimitedProtocol, launch.py's --http).

Also the in-container fallback's app (supervisord.conf [program:direct], EDGE_FALLBACK set): the
same, with `/health` saying the stack is degraded.
"""

from __future__ import annotations

import os

from uvicorn.importer import import_from_string

from edge_sidecar.config import effective_env, load_defaults, parse_runtime
from edge_sidecar.cors_asgi import ASGIApp, CorsPolicyMiddleware
from edge_sidecar.fallback_health import FallbackHealth
from edge_sidecar.limits import BodyLimitMiddleware
from edge_sidecar.request_ids import RequestIdEdge

# sysexits.h EX_CONFIG: an app's "configuration refused" (README, Exit codes).
EX_CONFIG = 78


def create_app() -> ASGIApp:
    config = parse_runtime(effective_env(os.environ, load_defaults()))
    try:
        app: ASGIApp = import_from_string(config.app_module)
    except SystemExit as refused:
        # Direct mode execs uvicorn, so no supervisor turns the app's 78 into the stack's 2 (as
        # launch.py does in sidecar mode): done here. The app has printed its reason already.
        if refused.code == EX_CONFIG:
            raise SystemExit(2) from None
        raise
    if os.environ.get("EDGE_FALLBACK"):
        app = FallbackHealth(app)
    return RequestIdEdge(CorsPolicyMiddleware(BodyLimitMiddleware(app, config.body_limits), config.policy))
