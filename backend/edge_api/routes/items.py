"""The tenant-scoped items resource: /api/v1/items."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status

from edge_api import item_store
from edge_api.deps import DatabaseDep, session_scope
from edge_api.schemas import ItemCreate, ItemRead
from edge_api.strict_json import StrictJsonRoute
from edge_api.tenancy import TenantId


def _no_store(response: Response) -> None:
    # A tenant's items, read with its credentials: no cache may keep them, shared or the browser's
    # (docs/bench/caching.md says why there is no ETag either).
    response.headers["Cache-Control"] = "no-store"


router = APIRouter(
    prefix="/api/v1/items", tags=["items"], route_class=StrictJsonRoute, dependencies=[Depends(_no_store)]
)

# Ids are positive 64-bit integers; anything else cannot exist (422, not a database error).
ItemId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_NOT_FOUND = "Item not found"


@router.get("")
def list_items(
    tenant_id: TenantId, database: DatabaseDep, limit: Annotated[int, Query(ge=1, le=100)] = 50
) -> list[ItemRead]:
    with session_scope(database) as session:
        return [ItemRead.model_validate(item) for item in item_store.list_items(session, tenant_id, limit)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_item(tenant_id: TenantId, database: DatabaseDep, body: ItemCreate) -> ItemRead:
    with session_scope(database) as session:
        return ItemRead.model_validate(item_store.create_item(session, tenant_id, body))


@router.get("/{item_id}")
def get_item(tenant_id: TenantId, database: DatabaseDep, item_id: ItemId) -> ItemRead:
    with session_scope(database) as session:
        item = item_store.get_item(session, tenant_id, item_id)
        if item is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=_NOT_FOUND)
        return ItemRead.model_validate(item)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(tenant_id: TenantId, database: DatabaseDep, item_id: ItemId) -> Response:
    with session_scope(database) as session:
        if not item_store.delete_item(session, tenant_id, item_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=_NOT_FOUND)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
