"""User administration."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from eqr_gateway.schemas.auth import User
from eqr_gateway.schemas.fields import RequestModel, Role


class UserPage(BaseModel):
    items: list[User]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class SetRoleRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "analyst"}]})

    role: Role
