"""Direct mode's ASGI app: the configured APP_MODULE wrapped in the CORS policy (uvicorn --factory).

Outermost, the request id as the sidecar's Caddyfile handles it (request_ids.py): every request gets
one sane X-Request-ID, which the app sees and every response carries (the CORS wrapper's own too).
Innermost, the Caddyfile's body limits (limits.py): a body over its route's limit is a JSON 413, with
CORS from the wrapper, and the app never holds more of it than the limit. The header limit is
uvicorn's protocol (limits.HeaderLimitedProtocol, launch.py's --http).

Also the in-container fallback's app (supervisord.conf [program:direct], EDGE_FALLBACK set): the
same, with `/health` saying the stack is degraded.

It reads the policy, the body limits and APP_MODULE the launcher validated and put in its environment
(config.handed_down_env), never the defaults file: one parse at the start, the same values as the proxy's.
"""

from __future__ import annotations

import os
import sys

from uvicorn.importer import import_from_string

from edge_sidecar.config import handed_down, handed_down_limits, handed_down_policy
from edge_sidecar.cors_asgi import ASGIApp, CorsPolicyMiddleware
from edge_sidecar.fallback_health import FallbackHealth
from edge_sidecar.limits import BodyLimitMiddleware, BodyLimits
from edge_sidecar.policy import ConfigError, CorsPolicy
from edge_sidecar.request_ids import RequestIdEdge

# sysexits.h EX_CONFIG: an app's "configuration refused" (README, Exit codes).
EX_CONFIG = 78
READER = "direct mode (edge_sidecar.direct)"


def create_app() -> ASGIApp:
    try:
        policy = handed_down_policy(os.environ, READER)
        limits = handed_down_limits(os.environ, READER)
        app_module = handed_down(os.environ, ("APP_MODULE",), READER)["APP_MODULE"]
    except ConfigError as err:
        # Only when started without the launcher (uvicorn by hand): one line, as the entrypoint says it.
        print(f"edge-sidecar: invalid configuration: {err}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    try:
        app: ASGIApp = import_from_string(app_module)
    except SystemExit as refused:
        # Direct mode execs uvicorn, so no supervisor turns the app's 78 into the stack's 2 (as
        # launch.py does in sidecar mode): done here. The app has printed its reason already.
        if refused.code == EX_CONFIG:
            raise SystemExit(2) from None
        raise
    if os.environ.get("EDGE_FALLBACK"):
        app = FallbackHealth(app)
    return wrap(app, policy, limits)


def wrap(app: ASGIApp, policy: CorsPolicy, body_limits: BodyLimits) -> ASGIApp:
    """The edge direct mode puts around `app`; the CORS spec table runs against exactly this."""
    return RequestIdEdge(CorsPolicyMiddleware(BodyLimitMiddleware(app, body_limits), policy))
