"""The literals both CORS enforcers put on the wire, defined once.

Caddy gets each as an ``{$EDGE_*}`` variable (``config.caddy_env``); direct mode's ASGI wrapper
(``cors_asgi.py``) imports them. The CORS spec table (``deploy/tests/cors_spec.json``) runs against
both, so a literal changed in one enforcer only fails it.
"""

from __future__ import annotations

import json

# A preflight's answer depends on all three request headers (granted or refused alike), so a cache
# between the browser and us must key on each: https://fetch.spec.whatwg.org/#cors-protocol-and-http-caches
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
# Every other response: whether Access-Control-Allow-Origin is there depends on Origin. Added beside
# the app's own Vary, never replacing it.
RESPONSE_VARY = "Origin"
# A refused preflight: no Access-Control-* at all (so the browser blocks the request), and this body
# for the human reading the network tab.
REFUSED_BODY = json.dumps(
    {"detail": "CORS preflight refused: origin, method or headers not allowed"}, separators=(",", ":")
)
