"""Which tenant a request acts for: the access token's tenant claim (an X-Tenant-ID header must agree)."""

import re
from typing import Annotated

from fastapi import Depends, Request

from edge_api.auth.deps import ClaimsDep
from edge_api.errors import ApiError

TENANT_HEADER = "X-Tenant-ID"
# What a tenant id may look like (it is stored in a 64-character column and appears in logs).
_TENANT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def resolve_tenant(request: Request, claims: ClaimsDep) -> str:
    """The token decides; the header (kept for older clients) must name the same tenant or is refused."""
    if not claims.tenant_id:
        raise ApiError(403, "no_tenant", "the access token carries no tenant")
    if not _TENANT_ID.fullmatch(claims.tenant_id):
        raise ApiError(403, "no_tenant", "the token's tenant is not 1-64 characters from A-Z a-z 0-9 _ -")
    headers = request.headers.getlist(TENANT_HEADER)
    if headers and (len(headers) > 1 or headers[0] != claims.tenant_id):
        raise ApiError(403, "tenant_mismatch", f"{TENANT_HEADER} does not match the token's tenant")
    return claims.tenant_id


TenantId = Annotated[str, Depends(resolve_tenant)]
