"""Guards that judge a request by its headers alone run before its body is read.

So a refused request never buffers its body. FastAPI reads and parses the body before it solves a
route's dependencies, so ``dependencies=[SameSiteGuard]`` alone refuses a cross-site POST only after
its body was held and parsed. :class:`HeaderGuardedRoute` runs the route's header-only guards
(``BEFORE_BODY``) first; FastAPI still runs them again as dependencies, which costs nothing and keeps
the route's signature the documentation of what it checks. Bodies are bounded in size before this by
the proxy (Caddyfile ``request_body``) or by direct mode's edge (``edge_sidecar.limits``).
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response

from edge_api.auth.deps import get_auth, require_same_site
from edge_api.strict_json import StrictJsonRoute

# Dependencies that read nothing but headers and the app's auth context.
BEFORE_BODY = (require_same_site,)


class HeaderGuardedRoute(StrictJsonRoute):
    """A StrictJsonRoute whose header-only guards refuse before the body is read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        guards = [d.dependency for d in self.dependencies if d.dependency in BEFORE_BODY]
        if not guards:
            return handler

        async def guarded_handler(request: Request) -> Response:
            auth = get_auth(request)
            for guard in guards:
                guard(request, auth)
            return await handler(request)

        return guarded_handler
