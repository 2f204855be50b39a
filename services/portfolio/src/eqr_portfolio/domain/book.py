"""Replaying the ledger into a book: cash, open positions and their lots, closed lots, totals.

The rules, so that every figure can be audited by hand:

- **Order.** Transactions are applied in ledger order, ``(trade_date, sequence)``.
- **Lots.** A buy opens a lot whose cost is its notional (``quantity x price``, times 100 for
  option contracts) plus commission; a sell's proceeds are its notional less commission. A
  trade against the direction of the position first closes lots (each closure is a
  :class:`ClosedLot` with its own realised P&L) and any quantity left over opens a lot in the
  other direction. A trade's commission is shared between the lots it closes and the lot it
  opens in proportion to quantity; each lot keeps the commission inside its cost, so a closed
  lot reports the commissions of both its opening and its closing trade.
- **FIFO** closes the oldest lot first and splits a lot when a trade takes only part of it.
- **Average cost** keeps a single pooled lot per position: buys add their quantity and cost
  to the pool, a sell takes the pool's cost in proportion to the quantity sold. The pool's
  ``opened_on`` is the day the position last opened from flat, and each sell closes one
  :class:`ClosedLot` carrying that date and the pooled cost of the shares sold.
- **Proportional shares** of a cost (and of the commission inside it) are quantized to
  ``COST_QUANTUM`` (1e-10, half-even: the scale the ledger stores amounts at) and the part left
  behind is the exact difference, so the shares of a lot's or a trade's cost always add up to
  that cost: no cent is created or lost.
- **Shorts** (only under ``allow_short``) are lots with a negative quantity whose cost is minus
  the net proceeds of the short sale; buys cover them oldest first. A closed short lot reports
  the short sale's net proceeds as ``proceeds`` and the covering buy's cost as ``cost``.
  Without ``allow_short`` selling more shares than are held is rejected; option contracts may
  always be written (sold short), as a covered call or a cash-secured put needs.
- **Splits** multiply every open lot's quantity by the ratio and leave its cost unchanged.
- **Income and charges.** Dividends and interest are income, never external flows. A fee is an
  expense charged to cash; a fee naming a symbol is attributed to that position's ``fees`` but
  leaves its cost basis alone (the usual treatment of custody and ADR fees). A commission on a
  buy or sell is part of its cost or proceeds (and counted in ``commissions``); a commission on
  any other entry is counted as a fee.
- **Cash** never goes below zero. Under ``TRACKING`` an entry that would overdraw it (a buy, a
  fee, ...) first records an implied deposit of exactly the shortfall, dated that day; under
  ``STRICT`` it is rejected. A withdrawal beyond the cash is rejected in both modes: a
  withdrawal is the investor's own instruction, so an implied deposit to fund it would be
  fiction.

Transactions are taken to meet the field contracts that ``drafts.validate_draft`` enforces on
every entry (a symbol where one is needed, positive quantities, amounts and ratios, ...).

With these rules, at any price map ``P``, ``cash + sum(quantity x P x multiplier)`` equals the net external
flows plus realised and unrealised P&L plus dividends and interest minus fees, to the last digit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from functools import cached_property
from uuid import UUID

from eqr_portfolio.domain.errors import LedgerRejected
from eqr_portfolio.domain.option_contracts import contract_size, option_contract
from eqr_portfolio.domain.transactions import (
    CashMode,
    CostMethod,
    LedgerPolicy,
    Transaction,
    TransactionKind,
    ledger_order,
)

COST_QUANTUM = Decimal("1e-10")
"""The scale of a proportional share of a lot's or a trade's cost."""

_ZERO = Decimal(0)


@dataclass(frozen=True)
class Lot:
    """Shares opened together. ``quantity`` is negative for a short lot; ``cost`` carries the
    same sign: what a long lot cost, or minus what a short sale brought in. ``commission`` is
    the part of ``cost`` that was commission (always >= 0)."""

    opened_on: date
    quantity: Decimal
    cost: Decimal
    commission: Decimal = _ZERO


@dataclass(frozen=True)
class Position:
    """An open position. ``realised_pnl``, ``dividends`` and ``fees`` cover the symbol's whole
    history in the portfolio, including earlier round trips."""

    symbol: str
    lots: tuple[Lot, ...]
    realised_pnl: Decimal
    dividends: Decimal
    fees: Decimal

    # Cached (the instance is frozen): a kept book is valued again at every request.
    @cached_property
    def quantity(self) -> Decimal:
        return sum((lot.quantity for lot in self.lots), _ZERO)

    @cached_property
    def cost_basis(self) -> Decimal:
        return sum((lot.cost for lot in self.lots), _ZERO)

    @property
    def multiplier(self) -> Decimal:
        """Shares per unit of quantity: 100 for an option contract, else 1."""
        return contract_size(self.symbol)

    @cached_property
    def average_cost(self) -> Decimal:
        """Cost per share (per share of the deliverable for options, comparable with the premium),
        for display: a quotient, not an amount the ledger books."""
        return self.cost_basis / (self.quantity * self.multiplier)


@dataclass(frozen=True)
class ClosedLot:
    """(Part of) a lot closed by a trade. ``quantity`` is negative for a covered short; ``cost``
    and ``proceeds`` are what was paid and received, commissions included; ``commission`` is the
    lot's share of the commissions of the trade that opened it and of the one that closed it.
    ``transaction_id`` and ``sequence`` name the closing trade: ``(closed_on, sequence)`` is the
    closure's place in ledger order."""

    symbol: str
    opened_on: date
    closed_on: date
    quantity: Decimal
    cost: Decimal
    proceeds: Decimal
    commission: Decimal = _ZERO
    transaction_id: UUID | None = None
    sequence: int = 0

    @property
    def realised_pnl(self) -> Decimal:
        return self.proceeds - self.cost


@dataclass(frozen=True)
class ExternalFlow:
    """Money crossing the portfolio's boundary: a deposit (+), a withdrawal (-) or, under
    tracking cash, the implied deposit (+) that funded an entry beyond the cash."""

    day: date
    amount: Decimal
    implied: bool
    transaction_id: UUID


@dataclass(frozen=True)
class Book:
    """The state of a portfolio after replaying its ledger."""

    cash: Decimal
    positions: Mapping[str, Position]
    closed_lots: tuple[ClosedLot, ...]
    dividends: Decimal
    interest: Decimal
    fees: Decimal
    commissions: Decimal
    """Commissions on buys and sells; already inside the lots' costs and proceeds."""
    external_flows: tuple[ExternalFlow, ...]

    @cached_property
    def realised_pnl(self) -> Decimal:
        return sum((lot.realised_pnl for lot in self.closed_lots), _ZERO)

    @property
    def income(self) -> Decimal:
        return self.dividends + self.interest

    @cached_property
    def net_external_flow(self) -> Decimal:
        return sum((flow.amount for flow in self.external_flows), _ZERO)


@dataclass(frozen=True)
class DayEnd:
    """The end of one day. ``external_flow`` is the net external flow dated after the previous
    requested day, up to and including this one (for the first day: on or before it)."""

    day: date
    cash: Decimal
    quantities: Mapping[str, Decimal]
    external_flow: Decimal


def replay(transactions: Iterable[Transaction], policy: LedgerPolicy, *, through: date | None = None) -> Book:
    """The book after every transaction dated on or before ``through`` (all when ``None``)."""
    ledger = _Ledger(policy)
    for transaction in ledger_order(list(transactions)):
        if through is not None and transaction.trade_date > through:
            break
        ledger.apply(transaction)
    return ledger.book()


def replay_daily(
    transactions: Iterable[Transaction], policy: LedgerPolicy, days: Sequence[date]
) -> list[DayEnd]:
    """The end of each of ``days`` (returned in ascending order) in a single pass over the ledger."""
    ledger = _Ledger(policy)
    pending = iter(ledger_order(list(transactions)))
    upcoming = next(pending, None)
    flows_so_far = _ZERO
    ends: list[DayEnd] = []
    for day in sorted(days):
        while upcoming is not None and upcoming.trade_date <= day:
            ledger.apply(upcoming)
            upcoming = next(pending, None)
        ends.append(
            DayEnd(day, ledger.cash, dict(ledger.quantities), ledger.net_external_flow - flows_so_far)
        )
        flows_so_far = ledger.net_external_flow
    return ends


def _share(cost: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """The cost of ``part`` of ``whole`` shares that cost ``cost``; all of it when the part is whole
    (and nothing, exactly, of nothing)."""
    if part == whole or not cost:
        return cost
    with localcontext(prec=60, rounding=ROUND_HALF_EVEN):
        return (cost * part / whole).quantize(COST_QUANTUM)


def _amount(value: Decimal) -> str:
    return f"{value:f}"


class _Ledger:
    """The mutable state of one replay; :meth:`book` takes a frozen snapshot."""

    def __init__(self, policy: LedgerPolicy) -> None:
        self.policy = policy
        self.cash = _ZERO
        self.lots: dict[str, list[Lot]] = {}
        self.quantities: dict[str, Decimal] = {}
        self.realised: dict[str, Decimal] = {}
        self.dividends_by_symbol: dict[str, Decimal] = {}
        self.fees_by_symbol: dict[str, Decimal] = {}
        self.closed: list[ClosedLot] = []
        self.dividends = _ZERO
        self.interest = _ZERO
        self.fees = _ZERO
        self.commissions = _ZERO
        self.flows: list[ExternalFlow] = []
        self.net_external_flow = _ZERO

    def book(self) -> Book:
        positions = {
            symbol: Position(
                symbol,
                tuple(self.lots[symbol]),
                self.realised.get(symbol, _ZERO),
                self.dividends_by_symbol.get(symbol, _ZERO),
                self.fees_by_symbol.get(symbol, _ZERO),
            )
            for symbol in sorted(self.lots)
        }
        return Book(
            cash=self.cash,
            positions=positions,
            closed_lots=tuple(self.closed),
            dividends=self.dividends,
            interest=self.interest,
            fees=self.fees,
            commissions=self.commissions,
            external_flows=tuple(self.flows),
        )

    def apply(self, tx: Transaction) -> None:
        if tx.kind is TransactionKind.SELL:
            self._check_holding(tx)
        self._settle_cash(tx)
        match tx.kind:
            case TransactionKind.BUY:
                self.commissions += tx.commission
                self._trade(tx, tx.quantity, tx.notional + tx.commission)
            case TransactionKind.SELL:
                self.commissions += tx.commission
                self._trade(tx, -tx.quantity, -(tx.notional - tx.commission))
            case TransactionKind.SPLIT:
                self._split(tx)
            case TransactionKind.DIVIDEND:
                self.dividends += tx.amount
                _add(self.dividends_by_symbol, _symbol(tx), tx.amount)
                self.fees += tx.commission
            case TransactionKind.INTEREST:
                self.interest += tx.amount
                self.fees += tx.commission
            case TransactionKind.DEPOSIT:
                self._record_flow(tx, tx.amount, implied=False)
                self.fees += tx.commission
            case TransactionKind.WITHDRAWAL:
                self._record_flow(tx, -tx.amount, implied=False)
                self.fees += tx.commission
            case TransactionKind.FEE:
                self.fees += tx.amount + tx.commission
                if tx.symbol is not None:
                    _add(self.fees_by_symbol, tx.symbol, tx.amount + tx.commission)

    def _check_holding(self, tx: Transaction) -> None:
        symbol = _symbol(tx)
        held = self.quantities.get(symbol, _ZERO)
        if tx.quantity > held and not (self.policy.allow_short or option_contract(symbol) is not None):
            raise LedgerRejected(
                "quantity",
                f"cannot sell {_amount(tx.quantity)} {symbol} on {tx.trade_date}: only {_amount(held)} held",
                transaction_id=tx.id,
            )

    def _settle_cash(self, tx: Transaction) -> None:
        after = self.cash + tx.cash_effect
        if after < 0:
            if tx.kind is TransactionKind.WITHDRAWAL or self.policy.cash_mode is CashMode.STRICT:
                raise LedgerRejected(
                    _FIELD_AT_FAULT[tx.kind],
                    f"{_describe(tx)} needs {_amount(-tx.cash_effect)} "
                    f"but only {_amount(self.cash)} cash is available",
                    transaction_id=tx.id,
                )
            self._record_flow(tx, -after, implied=True)
            after = _ZERO
        self.cash = after

    def _record_flow(self, tx: Transaction, amount: Decimal, *, implied: bool) -> None:
        self.flows.append(ExternalFlow(tx.trade_date, amount, implied, tx.id))
        self.net_external_flow += amount

    def _trade(self, tx: Transaction, quantity: Decimal, cost: Decimal) -> None:
        """Apply a signed quantity (buys +, sells -) whose signed cost is paid (+) or received (-)."""
        symbol = _symbol(tx)
        lots = self.lots.setdefault(symbol, [])
        self.quantities[symbol] = self.quantities.get(symbol, _ZERO) + quantity
        commission = tx.commission
        while quantity and lots and (lots[0].quantity > 0) != (quantity > 0):
            lot = lots[0]
            closing = lot.quantity if abs(lot.quantity) <= abs(quantity) else -quantity
            lot_cost = _share(lot.cost, closing, lot.quantity)
            lot_commission = _share(lot.commission, closing, lot.quantity)
            trade_cost = _share(cost, -closing, quantity)
            trade_commission = _share(commission, -closing, quantity)
            if closing == lot.quantity:
                lots.pop(0)
            else:
                lots[0] = Lot(
                    lot.opened_on,
                    lot.quantity - closing,
                    lot.cost - lot_cost,
                    lot.commission - lot_commission,
                )
            quantity += closing
            cost -= trade_cost
            commission -= trade_commission
            self._close(tx, lot.opened_on, closing, lot_cost, trade_cost, lot_commission + trade_commission)
        if quantity:
            if self.policy.cost_method is CostMethod.AVERAGE and lots:
                pool = lots[0]
                lots[0] = Lot(
                    pool.opened_on, pool.quantity + quantity, pool.cost + cost, pool.commission + commission
                )
            else:
                lots.append(Lot(tx.trade_date, quantity, cost, commission))
        if not lots:
            del self.lots[symbol], self.quantities[symbol]

    def _close(
        self,
        tx: Transaction,
        opened_on: date,
        quantity: Decimal,
        lot_cost: Decimal,
        trade_cost: Decimal,
        commission: Decimal,
    ) -> None:
        """Record a closure by ``tx``. Long: the lot cost ``lot_cost`` and the sale received
        ``-trade_cost``. Short: the short sale received ``-lot_cost`` and the cover cost ``trade_cost``."""
        symbol = _symbol(tx)
        if quantity > 0:
            cost, proceeds = lot_cost, -trade_cost
        else:
            cost, proceeds = trade_cost, -lot_cost
        closed = ClosedLot(
            symbol, opened_on, tx.trade_date, quantity, cost, proceeds, commission, tx.id, tx.sequence
        )
        self.closed.append(closed)
        _add(self.realised, symbol, closed.realised_pnl)

    def _split(self, tx: Transaction) -> None:
        symbol = _symbol(tx)
        lots = self.lots.get(symbol)
        if not lots:
            return
        lots[:] = [Lot(lot.opened_on, lot.quantity * tx.ratio, lot.cost, lot.commission) for lot in lots]
        self.quantities[symbol] = sum((lot.quantity for lot in lots), _ZERO)


_FIELD_AT_FAULT = {
    TransactionKind.BUY: "quantity",
    TransactionKind.SELL: "commission",
    TransactionKind.FEE: "amount",
    TransactionKind.WITHDRAWAL: "amount",
    TransactionKind.DIVIDEND: "commission",
    TransactionKind.INTEREST: "commission",
    TransactionKind.DEPOSIT: "commission",
}
"""Which field is at fault when an entry would overdraw the cash."""


def _describe(tx: Transaction) -> str:
    match tx.kind:
        case TransactionKind.BUY | TransactionKind.SELL:
            verb = "buying" if tx.kind is TransactionKind.BUY else "selling"
            return f"{verb} {_amount(tx.quantity)} {tx.symbol} on {tx.trade_date}"
        case TransactionKind.WITHDRAWAL:
            return f"withdrawing {_amount(tx.amount)} on {tx.trade_date}"
        case _:
            return f"the {tx.kind} on {tx.trade_date}"


def _symbol(tx: Transaction) -> str:
    assert tx.symbol is not None  # validate_draft requires one for every kind that calls this
    return tx.symbol


def _add(totals: dict[str, Decimal], symbol: str, amount: Decimal) -> None:
    totals[symbol] = totals.get(symbol, _ZERO) + amount
