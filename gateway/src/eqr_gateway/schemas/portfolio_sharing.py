"""Who else may see or change a portfolio."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from eqr_gateway.schemas.fields import Email, RequestModel
from eqr_gateway.schemas.portfolio_fields import AccessRole, ShareRole, examples


class ShareRequest(RequestModel):
    model_config = examples({"email": "grace@example.com", "role": "viewer"})

    email: Email = Field(description="The email of the person's account.")
    role: ShareRole = Field(description="viewer: may read; editor: may also change the ledger.")


class Share(BaseModel):
    model_config = examples(
        {
            "portfolio_id": "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
            "user_id": "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
            "email": "grace@example.com",
            "role": "viewer",
            "created_at": "2025-03-14T08:00:00Z",
        }
    )

    portfolio_id: UUID
    user_id: UUID
    email: str
    role: AccessRole
    created_at: datetime | None


class ShareList(BaseModel):
    items: list[Share]
