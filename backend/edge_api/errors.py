"""Errors the API answers with a JSON body ``{"detail", "error"}`` (and headers), wherever they are raised."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from edge_api.auth.tokens import AuthError

_NO_STORE = {"Cache-Control": "no-store"}
# A 422 names at most this many problems, each string at most this long: its size never grows with the input.
MAX_ERRORS = 20
MAX_TEXT = 200


class ApiError(Exception):
    """An answer decided by the API: HTTP status, a stable ``error`` code, a human-readable ``detail``."""

    def __init__(
        self, status_code: int, error: str, detail: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.error = error
        self.detail = detail
        self.headers = dict(headers or {})


def api_error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(
        {"detail": error.detail, "error": error.error},
        status_code=error.status_code,
        headers={**_NO_STORE, **error.headers},
    )


def auth_error_response(error: AuthError) -> JSONResponse:
    """401/403/503 with an RFC 6750 challenge; the description never holds token material."""
    return api_error_response(
        ApiError(
            error.status_code, error.error, error.description, {"WWW-Authenticate": error.www_authenticate()}
        )
    )


async def handle_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return api_error_response(exc)


async def handle_auth_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    return auth_error_response(exc)


def safe_text(value: object, limit: int | None = MAX_TEXT) -> str:
    """Text that always encodes to UTF-8 (lone surrogates written as ``\\udXXX``), cut to ``limit``."""
    text = value if isinstance(value, str) else str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "\u2026"


def _problem(error: Mapping[str, Any]) -> dict[str, Any]:
    """One validation problem without the ``input`` (nor ``ctx``/``url``): where, what, which kind."""
    loc = [part if isinstance(part, int) else safe_text(part) for part in error.get("loc", ())]
    msg = safe_text(error.get("msg", "invalid value"))
    ctx = error.get("ctx")
    if error.get("type") == "json_invalid" and isinstance(ctx, Mapping) and ctx.get("error"):
        msg = f"{msg}: {safe_text(ctx['error'])}"  # the parser's reason, never the text it choked on
    return {"loc": loc, "msg": msg, "type": safe_text(error.get("type", "value_error"))}


async def handle_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """422 ``{"detail", "error": "invalid_request", "errors"}``: never echoes input, never fails to encode.

    FastAPI's default handler returns each error's ``input``; input that JSON cannot carry (a lone
    surrogate, NaN, bytes that are not UTF-8) then raised while encoding: a 500 and a traceback.
    """
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    problems = [_problem(error) for error in errors[:MAX_ERRORS]]
    first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    detail = f"{where}: {first['msg']}" if where else str(first["msg"])
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return JSONResponse(
        {"detail": detail, "error": "invalid_request", "errors": problems}, status_code=422, headers=_NO_STORE
    )


def _status_code_name(status: int) -> str:
    if status == 400:
        return "invalid_request"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return f"http_{status}"
    return phrase.lower().replace(" ", "_").replace("-", "_")


async def handle_http_exception(_request: Request, exc: Exception) -> Response:
    """Starlette's and FastAPI's HTTPException (404, 405, 400 unparsable body...) with an ``error`` code."""
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code in {204, 304}:
        return Response(status_code=exc.status_code, headers=headers)
    detail = safe_text(exc.detail, None) if isinstance(exc.detail, str) else jsonable_encoder(exc.detail)
    return JSONResponse(
        {"detail": detail, "error": _status_code_name(exc.status_code)},
        status_code=exc.status_code,
        headers=headers,
    )
