"""The ledger's vocabulary: portfolios, their settings and the transactions that are their truth.

Every amount is a ``Decimal`` in the portfolio's base currency: money is never a float here.
Transactions are replayed in ledger order, ``(trade_date, sequence)``, where ``sequence`` is
the order in which they were recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from eqr_portfolio.domain.option_contracts import contract_size


class TransactionKind(StrEnum):
    BUY = "buy"
    SELL = "sell"
    DIVIDEND = "dividend"
    SPLIT = "split"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    FEE = "fee"
    INTEREST = "interest"


TRADES = frozenset({TransactionKind.BUY, TransactionKind.SELL})
NEEDS_SYMBOL = frozenset(
    {TransactionKind.BUY, TransactionKind.SELL, TransactionKind.DIVIDEND, TransactionKind.SPLIT}
)
CASH_ONLY = frozenset({TransactionKind.DEPOSIT, TransactionKind.WITHDRAWAL, TransactionKind.INTEREST})
EXTERNAL_FLOWS = frozenset({TransactionKind.DEPOSIT, TransactionKind.WITHDRAWAL})
"""Money that crosses the portfolio's boundary; performance measures exclude it."""


class CostMethod(StrEnum):
    FIFO = "fifo"
    AVERAGE = "average"


class CashMode(StrEnum):
    TRACKING = "tracking"
    """A buy beyond the cash records an implied deposit, as most trackers do."""
    STRICT = "strict"
    """A buy beyond the cash is rejected."""


@dataclass(frozen=True)
class LedgerPolicy:
    """The per-portfolio rules the ledger is replayed under."""

    cost_method: CostMethod = CostMethod.FIFO
    cash_mode: CashMode = CashMode.TRACKING
    allow_short: bool = False


@dataclass(frozen=True)
class Portfolio:
    id: UUID
    owner_id: UUID
    name: str
    description: str
    base_currency: str
    benchmark: str | None
    policy: LedgerPolicy
    created_at: datetime
    updated_at: datetime
    ledger_version: int = 0
    """Bumped by every write to the ledger: a ledger read at one version is that version's ledger."""


@dataclass(frozen=True)
class Transaction:
    """One ledger entry. Which fields matter depends on ``kind``:

    - buy / sell: ``symbol``, ``quantity`` (> 0 shares, or option contracts), ``price`` (>= 0 per
      share: an option's premium per share, see ``option_contracts``), ``commission``
    - dividend: ``symbol``, ``amount`` (> 0 cash received, after withholding)
    - split: ``symbol``, ``ratio`` (> 0 new shares per old share; 4 for a 4-for-1 split)
    - deposit / withdrawal / interest: ``amount`` (> 0)
    - fee: ``amount`` (> 0); ``symbol`` optional (a fee on a position)
    """

    id: UUID
    kind: TransactionKind
    trade_date: date
    sequence: int
    symbol: str | None = None
    quantity: Decimal = Decimal(0)
    price: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    ratio: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)
    notes: str = ""
    created_by: UUID | None = None
    created_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def notional(self) -> Decimal:
        """A trade's value before commission: quantity x price x the contract size."""
        return self.quantity * self.price * contract_size(self.symbol)

    @property
    def cash_effect(self) -> Decimal:
        """The change in cash this entry makes on its own (before any implied deposit)."""
        match self.kind:
            case TransactionKind.BUY:
                return -(self.notional + self.commission)
            case TransactionKind.SELL:
                return self.notional - self.commission
            case TransactionKind.DIVIDEND | TransactionKind.DEPOSIT | TransactionKind.INTEREST:
                return self.amount - self.commission
            case TransactionKind.WITHDRAWAL | TransactionKind.FEE:
                return -self.amount - self.commission
            case TransactionKind.SPLIT:
                return Decimal(0)


def ledger_order(transactions: list[Transaction]) -> list[Transaction]:
    return sorted(transactions, key=lambda t: (t.trade_date, t.sequence))
