"""Domain events -> (subject, protobuf message) on the PORTFOLIO stream."""

from __future__ import annotations

from google.protobuf.message import Message

from eqr.portfolio.v1 import events_pb2 as pb
from eqr.portfolio.v1 import resources_pb2
from eqr_platform.bus import StreamSpec
from eqr_platform.protobuf import timestamp_pb
from eqr_portfolio.domain.events import (
    AlertTriggered,
    DomainEvent,
    LedgerChanged,
    PortfolioDeleted,
    ShareChanged,
)
from eqr_portfolio.wire.alerts import alert_trigger_to_pb
from eqr_portfolio.wire.ledger import ACCESS_ROLE

STREAM = StreamSpec(
    "PORTFOLIO",
    [
        "eqr.portfolio.ledger.>",
        "eqr.portfolio.portfolio.deleted.>",
        "eqr.portfolio.share.>",
        "eqr.portfolio.alert.>",
    ],
    max_age_seconds=90 * 86_400,
)
"""Every subject the outbox writes. Not ``eqr.portfolio.>``: ``eqr.portfolio.portfolio.updated.*``
belongs to the live-values stream (``adapters.nats.valuations``), and two streams cannot share a subject."""


def to_message(event: DomainEvent) -> tuple[str, Message]:
    match event:
        case LedgerChanged():
            return f"eqr.portfolio.ledger.changed.{event.portfolio_id}", pb.LedgerChanged(
                portfolio_id=str(event.portfolio_id),
                actor_id=str(event.actor_id),
                action=event.action,
                transaction_ids=[str(i) for i in event.transaction_ids],
                occurred_at=timestamp_pb(event.occurred_at),
            )
        case PortfolioDeleted():
            return f"eqr.portfolio.portfolio.deleted.{event.portfolio_id}", pb.PortfolioDeleted(
                portfolio_id=str(event.portfolio_id),
                actor_id=str(event.actor_id),
                occurred_at=timestamp_pb(event.occurred_at),
            )
        case ShareChanged():
            verb = "revoked" if event.role is None else "granted"
            return f"eqr.portfolio.share.{verb}.{event.portfolio_id}", pb.ShareChanged(
                portfolio_id=str(event.portfolio_id),
                user_id=str(event.user_id),
                role=ACCESS_ROLE[event.role] if event.role else resources_pb2.ACCESS_ROLE_UNSPECIFIED,
                occurred_at=timestamp_pb(event.occurred_at),
            )
        case AlertTriggered():
            return f"eqr.portfolio.alert.triggered.{event.trigger.portfolio_id}", pb.AlertTriggered(
                trigger=alert_trigger_to_pb(event.trigger),
                recipient_ids=[str(i) for i in event.recipient_ids],
            )
