"""Portfolios, their settings, transactions and drafts, shares and the change history <-> protobuf.

The enum tables are the ledger's vocabulary on the wire, so other messages that carry a role or
a cost method (share events, the realised-gains reply) take them from here.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Literal

from eqr.portfolio.v1 import portfolio_service_pb2 as service_pb
from eqr.portfolio.v1 import resources_pb2 as pb
from eqr_platform.protobuf import date_pb, decimal_pb, timestamp_pb
from eqr_portfolio.domain.access import AccessRole, Share
from eqr_portfolio.domain.drafts import TransactionDraft
from eqr_portfolio.domain.errors import ViolationCollector
from eqr_portfolio.domain.history import Change
from eqr_portfolio.domain.portfolios import PortfolioSettingsDraft
from eqr_portfolio.domain.transactions import CashMode, CostMethod, Portfolio, Transaction, TransactionKind
from eqr_portfolio.wire.fields import date_from_pb, decimal_from_pb, enum_from_pb, optional_enum_from_pb

COST_METHOD = {CostMethod.FIFO: pb.COST_METHOD_FIFO, CostMethod.AVERAGE: pb.COST_METHOD_AVERAGE}
CASH_MODE = {CashMode.TRACKING: pb.CASH_MODE_TRACKING, CashMode.STRICT: pb.CASH_MODE_STRICT}
ACCESS_ROLE = {
    AccessRole.OWNER: pb.ACCESS_ROLE_OWNER,
    AccessRole.EDITOR: pb.ACCESS_ROLE_EDITOR,
    AccessRole.VIEWER: pb.ACCESS_ROLE_VIEWER,
}
TRANSACTION_KIND = {
    TransactionKind.BUY: pb.TRANSACTION_KIND_BUY,
    TransactionKind.SELL: pb.TRANSACTION_KIND_SELL,
    TransactionKind.DIVIDEND: pb.TRANSACTION_KIND_DIVIDEND,
    TransactionKind.SPLIT: pb.TRANSACTION_KIND_SPLIT,
    TransactionKind.DEPOSIT: pb.TRANSACTION_KIND_DEPOSIT,
    TransactionKind.WITHDRAWAL: pb.TRANSACTION_KIND_WITHDRAWAL,
    TransactionKind.FEE: pb.TRANSACTION_KIND_FEE,
    TransactionKind.INTEREST: pb.TRANSACTION_KIND_INTEREST,
}


def portfolio_to_pb(portfolio: Portfolio, access: AccessRole) -> pb.Portfolio:
    return pb.Portfolio(
        id=str(portfolio.id),
        owner_id=str(portfolio.owner_id),
        name=portfolio.name,
        description=portfolio.description,
        base_currency=portfolio.base_currency,
        benchmark=portfolio.benchmark or "",
        cost_method=COST_METHOD[portfolio.policy.cost_method],
        cash_mode=CASH_MODE[portfolio.policy.cash_mode],
        allow_short=portfolio.policy.allow_short,
        access=ACCESS_ROLE[access],
        created_at=timestamp_pb(portfolio.created_at),
        updated_at=timestamp_pb(portfolio.updated_at),
    )


def settings_from_pb(message: service_pb.PortfolioInput) -> PortfolioSettingsDraft:
    return PortfolioSettingsDraft(
        name=message.name,
        base_currency=message.base_currency or "USD",
        description=message.description,
        benchmark=message.benchmark or None,
        cost_method=optional_enum_from_pb(COST_METHOD, message.cost_method, "portfolio.cost_method")
        or CostMethod.FIFO,
        cash_mode=optional_enum_from_pb(CASH_MODE, message.cash_mode, "portfolio.cash_mode")
        or CashMode.TRACKING,
        allow_short=message.allow_short,
    )


def transaction_to_pb(portfolio_id: str, transaction: Transaction) -> pb.Transaction:
    message = pb.Transaction(
        id=str(transaction.id),
        portfolio_id=portfolio_id,
        kind=TRANSACTION_KIND[transaction.kind],
        trade_date=date_pb(transaction.trade_date),
        symbol=transaction.symbol or "",
        quantity=decimal_pb(transaction.quantity),
        price=decimal_pb(transaction.price),
        amount=decimal_pb(transaction.amount),
        ratio=decimal_pb(transaction.ratio),
        commission=decimal_pb(transaction.commission),
        notes=transaction.notes,
        sequence=transaction.sequence,
        created_by=str(transaction.created_by or ""),
    )
    if transaction.created_at:
        message.created_at.CopyFrom(timestamp_pb(transaction.created_at))
    if transaction.deleted_at:
        message.deleted_at.CopyFrom(timestamp_pb(transaction.deleted_at))
    return message


def draft_from_pb(message: pb.TransactionInput, prefix: str = "transaction.") -> TransactionDraft:
    collector = ViolationCollector()

    def number(name: Literal["quantity", "price", "amount", "ratio", "commission"]) -> Decimal:
        return collector.apply(
            lambda: decimal_from_pb(getattr(message, name), prefix + name, present=message.HasField(name)),
            Decimal(0),
        )

    kind = collector.apply(lambda: enum_from_pb(TRANSACTION_KIND, message.kind, prefix + "kind"), None)
    trade_date = None
    if message.HasField("trade_date"):
        trade_date = collector.apply(lambda: date_from_pb(message.trade_date, prefix + "trade_date"), None)
    else:
        collector.add(prefix + "trade_date", "is required")
    draft = TransactionDraft(
        kind=kind or TransactionKind.BUY,
        trade_date=trade_date or date.min,
        symbol=message.symbol or None,
        quantity=number("quantity"),
        price=number("price"),
        amount=number("amount"),
        ratio=number("ratio"),
        commission=number("commission"),
        notes=message.notes,
    )
    collector.raise_if_any()
    return draft


def share_to_pb(share: Share) -> pb.Share:
    return pb.Share(
        portfolio_id=str(share.portfolio_id),
        user_id=str(share.user_id),
        email=share.email,
        role=ACCESS_ROLE[share.role],
        created_at=timestamp_pb(share.created_at),
    )


def change_to_pb(change: Change) -> pb.Change:
    return pb.Change(
        id=str(change.id),
        portfolio_id=str(change.portfolio_id),
        actor_id=str(change.actor_id),
        action=change.action,
        subject_id=change.subject_id,
        details=json.dumps(change.details, separators=(",", ":"), sort_keys=True),
        occurred_at=timestamp_pb(change.occurred_at),
    )
