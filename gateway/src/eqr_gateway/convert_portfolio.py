"""Portfolio protobuf <-> REST, every field mapped by name: the enums, the field helpers,
portfolios, the ledger, shares, templates and alerts (computed figures: ``convert_portfolio_figures``).

Out: documents (plain dicts) the routes return for FastAPI to check against the models in
``schemas.portfolio*``. An ``eqr.common.v1.Decimal`` becomes its exact text (null where the
service leaves it unset), a double a JSON number, an enum its lower-case name, an unset date
null. In: request models -> messages; decimals go as the text the schema normalised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

from google.protobuf.message import Message

from eqr.common.v1 import date_pb2, decimal_pb2, paging_pb2
from eqr.portfolio.v1 import portfolio_service_pb2 as pb
from eqr.portfolio.v1 import resources_pb2 as res
from eqr_gateway.convert import optional_time, required_time
from eqr_gateway.schemas.portfolio import PortfolioCreate, PortfolioUpdate, TransactionInput
from eqr_gateway.schemas.portfolio_fields import (
    AccessRole,
    AlertKind,
    CashMode,
    CostMethod,
    ImportFormat,
    TransactionKind,
)
from eqr_gateway.schemas.portfolio_planning import RebalanceOptions, TargetWeightIn
from eqr_platform.protobuf import date_pb

Document = dict[str, Any]
K = TypeVar("K")
V = TypeVar("V")


def _inverse(table: Mapping[K, V]) -> dict[V, K]:
    return {value: key for key, value in table.items()}


COST_METHOD_TO_PB: dict[CostMethod, res.CostMethod.ValueType] = {
    "fifo": res.COST_METHOD_FIFO,
    "average": res.COST_METHOD_AVERAGE,
}
CASH_MODE_TO_PB: dict[CashMode, res.CashMode.ValueType] = {
    "tracking": res.CASH_MODE_TRACKING,
    "strict": res.CASH_MODE_STRICT,
}
ACCESS_ROLE_TO_PB: dict[AccessRole, res.AccessRole.ValueType] = {
    "owner": res.ACCESS_ROLE_OWNER,
    "editor": res.ACCESS_ROLE_EDITOR,
    "viewer": res.ACCESS_ROLE_VIEWER,
}
KIND_TO_PB: dict[TransactionKind, res.TransactionKind.ValueType] = {
    "buy": res.TRANSACTION_KIND_BUY,
    "sell": res.TRANSACTION_KIND_SELL,
    "dividend": res.TRANSACTION_KIND_DIVIDEND,
    "split": res.TRANSACTION_KIND_SPLIT,
    "deposit": res.TRANSACTION_KIND_DEPOSIT,
    "withdrawal": res.TRANSACTION_KIND_WITHDRAWAL,
    "fee": res.TRANSACTION_KIND_FEE,
    "interest": res.TRANSACTION_KIND_INTEREST,
}
ALERT_KIND_TO_PB: dict[AlertKind, res.AlertKind.ValueType] = {
    "price_above": res.ALERT_KIND_PRICE_ABOVE,
    "price_below": res.ALERT_KIND_PRICE_BELOW,
    "daily_move": res.ALERT_KIND_DAILY_MOVE,
    "portfolio_value_above": res.ALERT_KIND_PORTFOLIO_VALUE_ABOVE,
    "portfolio_value_below": res.ALERT_KIND_PORTFOLIO_VALUE_BELOW,
    "portfolio_drawdown": res.ALERT_KIND_PORTFOLIO_DRAWDOWN,
}
IMPORT_FORMAT_TO_PB: dict[ImportFormat, pb.ImportFormat.ValueType] = {
    "csv": pb.IMPORT_FORMAT_CSV,
    "ibkr_flex": pb.IMPORT_FORMAT_IBKR_FLEX,
}
_COST_METHODS = _inverse(COST_METHOD_TO_PB)
_CASH_MODES = _inverse(CASH_MODE_TO_PB)
_ACCESS_ROLES = _inverse(ACCESS_ROLE_TO_PB)
_KINDS = _inverse(KIND_TO_PB)
_ALERT_KINDS = _inverse(ALERT_KIND_TO_PB)


# --- protobuf -> REST ---------------------------------------------------------------------


def optional_decimal(message: Message, field: str) -> str | None:
    if not message.HasField(field):
        return None
    value: str = getattr(message, field).value
    return value or None


def decimal(message: Message, field: str) -> str:
    value = optional_decimal(message, field)
    if value is None:
        raise ValueError(f"{type(message).__name__}.{field} is unset")
    return value


def optional_date(message: Message, field: str) -> date | None:
    if not message.HasField(field):
        return None
    day: date_pb2.Date = getattr(message, field)
    return date(day.year, day.month, day.day) if day.year else None


def required_date(message: Message, field: str) -> date:
    day = optional_date(message, field)
    if day is None:
        raise ValueError(f"{type(message).__name__}.{field} is unset")
    return day


def optional_double(message: Message, field: str) -> float | None:
    """A proto3 ``optional double``: null when the service has no figure."""
    if not message.HasField(field):
        return None
    value: float = getattr(message, field)
    return value


def text_or_none(value: str) -> str | None:
    return value or None


def page_doc(items: list[Document], page: paging_pb2.PageResponse) -> Document:
    return {"items": items, "next_cursor": page.next_page_token or None}


def portfolio_doc(portfolio: res.Portfolio) -> Document:
    return {
        "id": portfolio.id,
        "owner_id": portfolio.owner_id,
        "name": portfolio.name,
        "description": portfolio.description,
        "base_currency": portfolio.base_currency,
        "benchmark": text_or_none(portfolio.benchmark),
        "cost_method": _COST_METHODS[portfolio.cost_method],
        "cash_mode": _CASH_MODES[portfolio.cash_mode],
        "allow_short": portfolio.allow_short,
        "access": _ACCESS_ROLES[portfolio.access],
        "created_at": required_time(portfolio, "created_at"),
        "updated_at": required_time(portfolio, "updated_at"),
    }


def transaction_doc(transaction: res.Transaction) -> Document:
    return {
        "id": transaction.id,
        "portfolio_id": transaction.portfolio_id,
        "kind": _KINDS[transaction.kind],
        "trade_date": required_date(transaction, "trade_date"),
        "symbol": text_or_none(transaction.symbol),
        "quantity": decimal(transaction, "quantity"),
        "price": decimal(transaction, "price"),
        "amount": decimal(transaction, "amount"),
        "ratio": decimal(transaction, "ratio"),
        "commission": decimal(transaction, "commission"),
        "notes": transaction.notes,
        "sequence": transaction.sequence,
        "created_by": text_or_none(transaction.created_by),
        "created_at": optional_time(transaction, "created_at"),
        "deleted_at": optional_time(transaction, "deleted_at"),
    }


def transactions_doc(transactions: Iterable[res.Transaction]) -> Document:
    return {"transactions": [transaction_doc(transaction) for transaction in transactions]}


def _details(raw: str) -> Document:
    try:
        details = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {"value": details}


def change_doc(change: res.Change) -> Document:
    return {
        "id": change.id,
        "actor_id": change.actor_id,
        "action": change.action,
        "subject_id": change.subject_id,
        "details": _details(change.details),
        "occurred_at": required_time(change, "occurred_at"),
    }


def import_report_doc(response: pb.ImportTransactionsResponse) -> Document:
    return {
        "rows": response.rows,
        "imported": response.imported,
        "dry_run": response.dry_run,
        "errors": [{"line": e.line, "field": e.field, "message": e.message} for e in response.errors],
        "skipped": [{"line": e.line, "field": e.field, "message": e.message} for e in response.skipped],
    }


def closed_lot_doc(lot: res.ClosedLot) -> Document:
    return {
        "symbol": lot.symbol,
        "quantity": decimal(lot, "quantity"),
        "opened_on": required_date(lot, "opened_on"),
        "closed_on": required_date(lot, "closed_on"),
        "cost_basis": decimal(lot, "cost_basis"),
        "proceeds": decimal(lot, "proceeds"),
        "commissions": decimal(lot, "commissions"),
        "realized_pnl": decimal(lot, "realized_pnl"),
        "holding_days": lot.holding_days,
        "long_term": lot.long_term,
        "multiplier": lot.multiplier,
        "transaction_id": lot.transaction_id,
    }


def realized_totals_doc(summary: res.RealizedSummary) -> Document:
    return {
        "lots": summary.lots,
        "cost_basis": decimal(summary, "cost_basis"),
        "proceeds": decimal(summary, "proceeds"),
        "commissions": decimal(summary, "commissions"),
        "realized_pnl": decimal(summary, "realized_pnl"),
        "short_term_pnl": decimal(summary, "short_term_pnl"),
        "long_term_pnl": decimal(summary, "long_term_pnl"),
    }


def realized_gains_doc(response: pb.GetRealizedGainsResponse) -> Document:
    """The report: ``{items, next_cursor}`` like every list, with the totals over every page."""
    return {
        "portfolio_id": response.portfolio_id,
        "currency": response.currency,
        "cost_method": _COST_METHODS[response.cost_method],
        **page_doc([closed_lot_doc(lot) for lot in response.lots], response.page),
        "by_symbol": [
            {"symbol": s.symbol, "held": s.held, **realized_totals_doc(s)} for s in response.by_symbol
        ],
        "totals": realized_totals_doc(response.totals),
    }


def share_doc(share: res.Share) -> Document:
    return {
        "portfolio_id": share.portfolio_id,
        "user_id": share.user_id,
        "email": share.email,
        "role": _ACCESS_ROLES[share.role],
        "created_at": optional_time(share, "created_at"),
    }


def _weights(weights: Iterable[res.TargetWeight]) -> list[Document]:
    return [{"symbol": w.symbol, "weight": decimal(w, "weight")} for w in weights]


def template_doc(template: res.Template) -> Document:
    return {
        "id": template.id,
        "name": template.name,
        "description": template.description,
        "builtin": template.builtin,
        "weights": _weights(template.weights),
    }


def alert_doc(alert: res.Alert) -> Document:
    return {
        "id": alert.id,
        "portfolio_id": alert.portfolio_id,
        "kind": _ALERT_KINDS[alert.kind],
        "symbol": text_or_none(alert.symbol),
        "threshold": decimal(alert, "threshold"),
        "active": alert.active,
        "armed": alert.armed,
        "note": alert.note,
        "created_at": optional_time(alert, "created_at"),
        "last_triggered_at": optional_time(alert, "last_triggered_at"),
    }


def trigger_doc(trigger: res.AlertTrigger) -> Document:
    return {
        "id": trigger.id,
        "alert_id": trigger.alert_id,
        "portfolio_id": trigger.portfolio_id,
        "kind": _ALERT_KINDS[trigger.kind],
        "symbol": text_or_none(trigger.symbol),
        "threshold": decimal(trigger, "threshold"),
        "observed": decimal(trigger, "observed"),
        "message": trigger.message,
        "triggered_at": optional_time(trigger, "triggered_at"),
    }


# --- REST -> protobuf ---------------------------------------------------------------------


def decimal_pb(text: str) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=text)


def optional_decimal_pb(text: str | None) -> decimal_pb2.Decimal | None:
    return None if text is None else decimal_pb(text)


def optional_date_pb(day: date | None) -> date_pb2.Date | None:
    return None if day is None else date_pb(day)


def page_pb(limit: int, cursor: str | None) -> paging_pb2.PageRequest:
    return paging_pb2.PageRequest(page_size=limit, page_token=cursor or "")


def portfolio_input_pb(body: PortfolioCreate) -> pb.PortfolioInput:
    return pb.PortfolioInput(
        name=body.name,
        description=body.description,
        base_currency=body.base_currency,
        benchmark=body.benchmark or "",
        cost_method=COST_METHOD_TO_PB[body.cost_method],
        cash_mode=CASH_MODE_TO_PB[body.cash_mode],
        allow_short=body.allow_short,
    )


def portfolio_update_pb(body: PortfolioUpdate) -> tuple[pb.PortfolioInput, list[str]]:
    """The fields sent and the update mask naming them; null clears a description or benchmark."""
    mask = sorted(body.model_fields_set)
    message = pb.PortfolioInput(
        name=body.name or "",
        description=body.description or "",
        base_currency=body.base_currency or "",
        benchmark=body.benchmark or "",
        allow_short=bool(body.allow_short),
    )
    if body.cost_method is not None:
        message.cost_method = COST_METHOD_TO_PB[body.cost_method]
    if body.cash_mode is not None:
        message.cash_mode = CASH_MODE_TO_PB[body.cash_mode]
    return message, mask


def transaction_input_pb(body: TransactionInput) -> res.TransactionInput:
    return res.TransactionInput(
        kind=KIND_TO_PB[body.kind],
        trade_date=date_pb(body.trade_date),
        symbol=body.symbol or "",
        quantity=optional_decimal_pb(body.quantity),
        price=optional_decimal_pb(body.price),
        amount=optional_decimal_pb(body.amount),
        ratio=optional_decimal_pb(body.ratio),
        commission=optional_decimal_pb(body.commission),
        notes=body.notes,
    )


def target_weights_pb(targets: Iterable[TargetWeightIn]) -> list[res.TargetWeight]:
    return [res.TargetWeight(symbol=t.symbol, weight=decimal_pb(t.weight)) for t in targets]


def rebalance_options_pb(options: RebalanceOptions) -> res.RebalanceOptions:
    return res.RebalanceOptions(
        fractional=options.fractional,
        min_trade_value=optional_decimal_pb(options.min_trade_value),
        cash_buffer=optional_decimal_pb(options.cash_buffer),
        commission_per_trade=optional_decimal_pb(options.commission_per_trade),
        commission_per_share=optional_decimal_pb(options.commission_per_share),
        commission_bps=optional_decimal_pb(options.commission_bps),
    )
