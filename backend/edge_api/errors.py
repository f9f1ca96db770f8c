"""Errors the API answers with a JSON body ``{"detail", "error"}`` (and headers), wherever they are raised."""

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import JSONResponse

from edge_api.auth.tokens import AuthError

_NO_STORE = {"Cache-Control": "no-store"}


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
