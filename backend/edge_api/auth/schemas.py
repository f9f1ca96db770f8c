"""Request bodies of the auth endpoints (the callback's code and state; logout's return URL)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# Auth0 codes and states are short opaque strings; the bounds only keep junk out.
_Opaque = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: _Opaque
    state: _Opaque


class LogoutRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    return_to: Annotated[str | None, StringConstraints(max_length=2048)] = None
