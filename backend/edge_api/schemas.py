"""Request and response bodies of the items API."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from edge_api.models import NAME_MAX_LENGTH

ItemName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_LENGTH)]


class ItemCreate(BaseModel):
    """Body of ``POST /api/v1/items``; the tenant comes from the request, never from the body."""

    model_config = ConfigDict(extra="forbid")

    name: ItemName


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    tenant_id: str
    name: str
    created_at: datetime
