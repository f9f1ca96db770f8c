"""Auth0 login for the browser app: /api/v1/auth/{auth0-url,login,refresh,logout,me} (auth/session.py).

The refresh token lives only in an HttpOnly cookie scoped to this path, so page scripts never see it; the
cookie-bound POSTs carry the CSRF guard. Plain ``def`` routes: the tenant calls block in the threadpool.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Cookie, Query, Request, Response

from edge_api.auth import session
from edge_api.auth.deps import AuthDep, ClaimsDep, SameSiteGuard
from edge_api.auth.schemas import LoginRequest, LogoutRequest
from edge_api.auth.transaction import TTL_SECONDS
from edge_api.errors import ApiError
from edge_api.header_guards import HeaderGuardedRoute

PREFIX = "/api/v1/auth"
TX_COOKIE = "edge_auth_tx"
REFRESH_COOKIE = "edge_refresh"

# HeaderGuardedRoute: the CSRF guard refuses before the body is read (header_guards.py).
router = APIRouter(prefix=PREFIX, tags=["auth"], route_class=HeaderGuardedRoute)


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


def _set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    # Secure: browsers keep it on http://localhost too. Strict: the app and the API are one site
    # (app./api.zebra.associates, localhost:3001/:8080), so the app's own fetches still carry it.
    response.set_cookie(
        name, value, max_age=max_age, path=PREFIX, secure=True, httponly=True, samesite="strict"
    )


def _clear_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path=PREFIX, secure=True, httponly=True, samesite="strict")


def _clearing_header(name: str) -> str:
    response = Response()
    _clear_cookie(response, name)
    return response.headers["set-cookie"]


def _keep_refresh_token(response: Response, auth: AuthDep, result: session.Tokens) -> None:
    if result.tokens.refresh_token is not None:
        max_age = auth.settings.auth0_refresh_cookie_max_age
        _set_cookie(response, REFRESH_COOKIE, result.tokens.refresh_token, max_age)


@router.get("/auth0-url")
def auth0_url(
    auth: AuthDep, response: Response, redirect_uri: Annotated[str | None, Query(max_length=2048)] = None
) -> dict[str, str]:
    started = session.start(auth, redirect_uri)
    _no_store(response)
    _set_cookie(response, TX_COOKIE, started.cookie, TTL_SECONDS)
    return {"url": started.url, "state": started.state}


@router.post("/login", dependencies=[SameSiteGuard])
def login(
    auth: AuthDep,
    response: Response,
    body: LoginRequest,
    tx: Annotated[str | None, Cookie(alias=TX_COOKIE)] = None,
) -> dict[str, Any]:
    result = session.finish(auth, tx, body.code, body.state)
    _no_store(response)
    _clear_cookie(response, TX_COOKIE)
    _keep_refresh_token(response, auth, result)
    return result.body()


@router.post("/refresh", dependencies=[SameSiteGuard])
def refresh(
    auth: AuthDep, response: Response, token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None
) -> dict[str, Any]:
    _no_store(response)
    try:
        result = session.renew(auth, token)
    except ApiError as error:
        if error.error == "invalid_grant":
            # Spent or revoked for good: drop the cookie so the app stops retrying and logs in again.
            error.headers["Set-Cookie"] = _clearing_header(REFRESH_COOKIE)
        raise
    _keep_refresh_token(response, auth, result)
    return result.body()


@router.post("/logout", dependencies=[SameSiteGuard])
def logout(
    auth: AuthDep,
    request: Request,
    response: Response,
    body: Annotated[LogoutRequest | None, Body()] = None,
    token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> dict[str, Any]:
    origin = request.headers.get("origin")
    return_to = body.return_to if body is not None and body.return_to else None
    if return_to is None and origin is not None and auth.origins.allows(origin):
        return_to = f"{origin}/"
    result = session.end(auth, token, return_to)
    _no_store(response)
    _clear_cookie(response, REFRESH_COOKIE)
    return result


@router.get("/me")
def me(claims: ClaimsDep, response: Response) -> dict[str, Any]:
    _no_store(response)
    return {
        "sub": claims.sub,
        "tenant_id": claims.tenant_id,
        "permissions": sorted(claims.permissions),
        "scopes": sorted(claims.scopes),
        "expires_at": claims.expires_at,
    }
