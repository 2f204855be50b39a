"""The audit trail: every change to a portfolio, who made it and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Change:
    portfolio_id: UUID
    actor_id: UUID
    action: str
    """``<entity>.<verb>``: ``portfolio.created``, ``transaction.deleted``, ``share.revoked`` ..."""
    subject_id: str
    details: dict[str, Any] = field(hash=False)
    """What changed, JSON-ready: the new values, and the old ones for edits."""
    occurred_at: datetime
    id: int | None = None
