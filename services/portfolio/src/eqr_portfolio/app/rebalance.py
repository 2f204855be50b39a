"""Rebalancing a portfolio: target weights in, proposed trades out; applying writes them.

Option contracts are left as they are: the targets weigh the shares and the cash, and a target
naming a contract is refused (a hedge is not an allocation to rebalance toward).

Rebalancing works on long positions. A portfolio holding shares short (one that allows shorting)
is refused, naming each short, rather than proposing to buy it back whole or to leave it out:
target weights are fractions of what the portfolio owns, and whether a short is to be covered,
kept or resized is the holder's call, not an allocation's. Cover it, then rebalance.

Applying names a bad trade by its place in the request (``trades[2].quantity``), though the
sells are written before the buys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from uuid import UUID

from eqr_portfolio.app.caller import Caller
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ledger import RejectedEntry, record_transactions, validated
from eqr_portfolio.app.templates import find_template
from eqr_portfolio.app.valuation import value_portfolio
from eqr_portfolio.domain.drafts import TransactionDraft
from eqr_portfolio.domain.errors import LedgerRejected, ValidationFailed, ViolationCollector
from eqr_portfolio.domain.option_contracts import option_contract
from eqr_portfolio.domain.rebalance import (
    PricedPosition,
    RebalanceOptions,
    RebalanceProposal,
    TradeSide,
    parse_target_weights,
    propose_rebalance,
)
from eqr_portfolio.domain.transactions import Transaction, TransactionKind

MAX_APPLIED_TRADES = 500


@dataclass(frozen=True)
class TradeToApply:
    symbol: str
    side: TradeSide
    quantity: Decimal
    price: Decimal
    commission: Decimal


async def propose(
    deps: Dependencies,
    caller: Caller,
    portfolio_id: UUID,
    *,
    targets: Sequence[tuple[str, Decimal]],
    template_id: str,
    options: RebalanceOptions,
) -> RebalanceProposal:
    """Targets come from the request, or from a template when ``template_id`` is given."""
    if template_id and targets:
        raise ValidationFailed.single("targets", "give targets or a template_id, not both")
    if template_id:
        weights = dict((await find_template(deps, caller, template_id)).weights)
    else:
        weights = parse_target_weights(targets)
    contracts = sorted(symbol for symbol in weights if option_contract(symbol) is not None)
    if contracts:
        raise ValidationFailed.single(
            "targets", f"option contracts are not rebalanced: {', '.join(contracts)}"
        )
    valued = await value_portfolio(deps, caller, portfolio_id)
    shorts = [
        f"{symbol} is held short ({position.quantity:f})"
        for symbol, position in sorted(valued.book.positions.items())
        if position.quantity < 0 and option_contract(symbol) is None
    ]
    if shorts:
        them = "it" if len(shorts) == 1 else "them"
        raise ValidationFailed.single(
            "targets",
            f"rebalancing works on long positions; {', '.join(shorts)}: buy {them} back before rebalancing",
        )
    unpriced = sorted(s for s in valued.valuation.unpriced if option_contract(s) is None)
    if unpriced:
        raise ValidationFailed.single("targets", f"no price for held {', '.join(unpriced)}")
    positions = [
        PricedPosition(symbol, position.quantity, valued.quotes[symbol].price)
        for symbol, position in valued.book.positions.items()
        if option_contract(symbol) is None
    ]
    wanted = sorted(set(weights) - set(valued.quotes))
    quotes = await deps.market_data.quotes(wanted)
    missing = sorted(set(wanted) - set(quotes))
    if missing:
        raise ValidationFailed.single("targets", f"no price for {', '.join(missing)}")
    prices = {s: q.price for s, q in quotes.items()}
    return propose_rebalance(positions, valued.book.cash, weights, prices=prices, options=options)


async def apply(
    deps: Dependencies,
    caller: Caller,
    portfolio_id: UUID,
    trades: Sequence[TradeToApply],
    trade_date: date | None,
) -> list[Transaction]:
    """Writes the trades of a proposal to the ledger in one transaction: all of them or none."""
    if not trades:
        raise ValidationFailed.single("trades", "must hold at least one trade")
    if len(trades) > MAX_APPLIED_TRADES:
        raise ValidationFailed.single("trades", f"at most {MAX_APPLIED_TRADES} trades at once")
    day = trade_date or deps.clock.now().date()
    drafts = [
        TransactionDraft(
            TransactionKind.BUY if t.side is TradeSide.BUY else TransactionKind.SELL,
            day,
            symbol=t.symbol,
            quantity=t.quantity,
            price=t.price,
            commission=t.commission,
            notes="rebalance",
        )
        for t in trades
    ]
    found = ViolationCollector()
    for i, draft in enumerate(drafts):  # every bad trade, in the request's order
        found.apply(partial(validated, deps, [draft], f"trades[{i}]."), [draft])
    found.raise_if_any()
    order = sorted(range(len(trades)), key=lambda i: trades[i].side is TradeSide.BUY)  # sells fund buys
    ordered = [drafts[i] for i in order]
    try:
        return await record_transactions(
            deps, caller, portfolio_id, ordered, action="rebalance.applied", field_prefix=""
        )
    except RejectedEntry as exc:
        raise LedgerRejected(
            f"trades[{order[exc.index]}].{exc.field}", exc.reason, transaction_id=exc.transaction_id
        ) from None
    except LedgerRejected as exc:
        # An entry already stored, after ``day``, that the trades leave impossible: their date.
        raise LedgerRejected("trade_date", exc.reason, transaction_id=exc.transaction_id) from None
