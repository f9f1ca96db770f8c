"""JSON request bodies the API can always store and answer about: refused at parse time otherwise (422).

Python's ``json`` accepts what neither a response nor a database can carry: a lone UTF-16 surrogate
(``"\\ud800"``: valid JSON text, not valid Unicode, so encoding it to UTF-8 raises), ``NaN`` and
``Infinity`` (not JSON at all; ``json.dumps(allow_nan=False)`` raises on them), numbers that overflow
to ``inf``, NUL characters (PostgreSQL text cannot hold them) and nesting deep enough to exhaust the
recursion limit of whoever walks the value next. :func:`parse_json` refuses all of them with a
``json.JSONDecodeError``, which FastAPI turns into its ``json_invalid`` 422 (``errors.py`` words it),
so no handler, serializer or database ever sees such a value.

Every router of the API is built with ``route_class=StrictJsonRoute``.
"""

import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

# No structure of this API is deeper than a few levels; 32 leaves room and keeps any walker safe.
MAX_DEPTH = 32
# A lone surrogate (a valid pair was already combined by the parser) or NUL.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class _Refused(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"number out of range: {text[:40]}")
    return value


def _check(value: Any) -> str | None:
    """Why ``value`` cannot be accepted, or None. Iterative: depth is bounded here, not by recursion."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return "string holds a lone UTF-16 surrogate or NUL (not storable Unicode)"
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def parse_json(body: bytes) -> Any:
    """``json.loads`` that raises ``json.JSONDecodeError`` for everything this module refuses."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError:
        raise
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError("body is not valid UTF-8", "", 0) from error
    except RecursionError as error:
        raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", "", 0) from error
    except ValueError as error:  # _Refused, or an integer over Python's digit limit
        raise json.JSONDecodeError(str(error)[:120], "", 0) from error
    reason = _check(value)
    if reason is not None:
        raise json.JSONDecodeError(reason, "", 0)
    return value


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """An APIRoute whose handler parses JSON bodies with :func:`parse_json`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
