"""Holding-shaped writes: each records the ledger entries that produce the change.

The dashboard's "add / edit / remove holding" dialogs speak in holdings; the ledger stays
the truth, so each becomes the buy or sell that gets there. Without a price, the trade is
at the latest quote.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from eqr_portfolio.app.caller import Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ledger import record_transactions
from eqr_portfolio.app.ledger_cache import read_ledger
from eqr_portfolio.domain.access import require_read
from eqr_portfolio.domain.drafts import TransactionDraft, normalise_symbol
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.transactions import Transaction, TransactionKind


@dataclass(frozen=True)
class HoldingChange:
    symbol: str
    quantity: Decimal
    """Shares to add (``add_holding``) or to hold afterwards (``set_holding``)."""
    price: Decimal | None = None
    trade_date: date | None = None
    commission: Decimal = Decimal(0)
    notes: str = ""


async def _price(deps: Dependencies, symbol: str, given: Decimal | None) -> Decimal:
    if given is not None:
        return given
    quote = (await deps.market_data.quotes([symbol])).get(symbol)
    if quote is None:
        raise ValidationFailed.single("price", f"no quote for {symbol}; give the price")
    return quote.price


async def _trade(
    deps: Dependencies,
    caller: Caller,
    portfolio_id: UUID,
    change: HoldingChange,
    kind: TransactionKind,
    quantity: Decimal,
) -> list[Transaction]:
    draft = TransactionDraft(
        kind=kind,
        trade_date=change.trade_date or deps.clock.now().date(),
        symbol=change.symbol,
        quantity=quantity,
        price=await _price(deps, change.symbol, change.price),
        commission=change.commission,
        notes=change.notes,
    )
    return await record_transactions(
        deps, caller, portfolio_id, [draft], action="holding.changed", field_prefix=""
    )


async def add_holding(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, change: HoldingChange
) -> list[Transaction]:
    symbol = normalise_symbol(change.symbol)
    return await _trade(
        deps, caller, portfolio_id, replace(change, symbol=symbol), TransactionKind.BUY, change.quantity
    )


async def set_holding(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, change: HoldingChange
) -> list[Transaction]:
    """Buys or sells the difference between the quantity held and ``change.quantity``."""
    symbol = normalise_symbol(change.symbol)
    held = await _held(deps, caller, portfolio_id, symbol)
    difference = change.quantity - held
    if difference == 0:
        return []
    kind = TransactionKind.BUY if difference > 0 else TransactionKind.SELL
    return await _trade(deps, caller, portfolio_id, replace(change, symbol=symbol), kind, abs(difference))


async def remove_holding(
    deps: Dependencies,
    caller: Caller,
    portfolio_id: UUID,
    symbol: str,
    *,
    price: Decimal | None,
    trade_date: date | None,
) -> list[Transaction]:
    """Closes the position: sells a long, buys back a short."""
    return await set_holding(deps, caller, portfolio_id, HoldingChange(symbol, Decimal(0), price, trade_date))


async def _held(deps: Dependencies, caller: Caller, portfolio_id: UUID, symbol: str) -> Decimal:
    """The quantity held now, from the ledger alone (no quotes needed). The write that follows
    replays the ledger again under the portfolio's lock, so a concurrent change cannot make
    it invalid, only aim at a quantity read a moment earlier."""
    async with deps.unit_of_work() as uow:
        portfolio, _ = await load_portfolio(uow, caller, portfolio_id, require_read)
        ledger = await read_ledger(deps.ledgers, uow, portfolio)
    position = ledger.book(portfolio.policy).positions.get(symbol)
    if position is None:
        raise ValidationFailed.single("symbol", f"{symbol} is not held in this portfolio")
    return position.quantity
