"""Which tenant a request acts for: the X-Tenant-ID header for now (the auth work moves it into the token)."""

import re
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

TENANT_HEADER = "X-Tenant-ID"
_TENANT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def resolve_tenant(
    request: Request,
    # Declared for the OpenAPI schema; the value is read below so that repeated headers are rejected.
    x_tenant_id: Annotated[str | None, Header(alias=TENANT_HEADER)] = None,
) -> str:
    values = request.headers.getlist(TENANT_HEADER)
    if not values:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=f"{TENANT_HEADER} header is required")
    if len(values) > 1 or not _TENANT_ID.fullmatch(values[0]):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail=f"{TENANT_HEADER} must be one value of 1-64 characters from A-Z a-z 0-9 _ -",
        )
    return values[0]


TenantId = Annotated[str, Depends(resolve_tenant)]
