"""What the portfolio service tells the rest of the fleet (through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eqr_portfolio.domain.access import AccessRole
from eqr_portfolio.domain.alerts import RecordedTrigger


@dataclass(frozen=True)
class LedgerChanged:
    portfolio_id: UUID
    actor_id: UUID
    action: str
    transaction_ids: tuple[UUID, ...]
    occurred_at: datetime


@dataclass(frozen=True)
class PortfolioDeleted:
    portfolio_id: UUID
    actor_id: UUID
    occurred_at: datetime


@dataclass(frozen=True)
class ShareChanged:
    """``role`` is None when the share was revoked."""

    portfolio_id: UUID
    user_id: UUID
    role: AccessRole | None
    occurred_at: datetime


@dataclass(frozen=True)
class AlertTriggered:
    """``recipient_ids``: the portfolio's owner and everyone it is shared with, when it fired."""

    trigger: RecordedTrigger
    recipient_ids: tuple[UUID, ...]


DomainEvent = LedgerChanged | PortfolioDeleted | ShareChanged | AlertTriggered
