"""Health endpoints: liveness without the database, readiness with a bounded database ping."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from edge_api.deps import ReadinessDep
from edge_api.strict_json import StrictJsonRoute

router = APIRouter(tags=["health"], route_class=StrictJsonRoute)

_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/health/live")
async def live() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


# `/health` is the contract's Railway healthcheck path; behind the sidecar Caddy answers it, in direct
# mode (uvicorn alone on $PORT) the app does, with the same meaning as /health/ready.
@router.get("/health")
@router.get("/health/ready")
async def ready(probe: ReadinessDep) -> JSONResponse:
    if await probe.database_ready():
        return JSONResponse({"status": "ok", "checks": {"api": "ok", "db": "ok"}}, headers=_NO_STORE)
    return JSONResponse(
        {"status": "unavailable", "checks": {"api": "ok", "db": "unavailable"}, "failing": "db"},
        status_code=503,
        headers=_NO_STORE,
    )
