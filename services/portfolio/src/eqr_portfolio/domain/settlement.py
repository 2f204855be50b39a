"""What happens to an option position at expiry, as ledger entries dated the expiry day.

The underlying's close on the expiry day decides (the last close on or before it):

- **Out of or at the money: lapse.** The contracts close at a premium of 0: a long position
  realises the premium it paid as a loss, a short one keeps the premium it received.
- **In the money: exercise or assignment, settled in shares** (US equity options deliver
  100 shares a contract). The contracts close at 0 and the shares trade at the strike: a long
  call buys them, a long put sells them, an assigned short call sells them, an assigned short
  put buys them. The premium stays in the option's realised P&L and the shares' cost is the
  strike (the tracker's view, not the tax lot adjustment some jurisdictions make).
- **In the money, delivery refused.** When the ledger cannot take the share trade (shares to
  deliver that are not held without shorting allowed, a strict portfolio's cash), the
  position is settled in cash instead: the contracts close at their intrinsic value, which is
  what exercising and immediately trading the shares back would have netted.

Each plan holds the entries of one position; the caller tries ``physical`` and falls back to
``cash`` when the ledger refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from eqr_portfolio.domain.book import Position
from eqr_portfolio.domain.drafts import TransactionDraft
from eqr_portfolio.domain.option_contracts import OptionContract, OptionKind
from eqr_portfolio.domain.transactions import TransactionKind

_ZERO = Decimal(0)


@dataclass(frozen=True)
class SettlementPlan:
    physical: tuple[TransactionDraft, ...]
    cash: tuple[TransactionDraft, ...]


def _close(contract: OptionContract, quantity: Decimal, premium: Decimal, notes: str) -> TransactionDraft:
    """Close ``quantity`` contracts (signed as held) at ``premium`` a share."""
    kind = TransactionKind.SELL if quantity > 0 else TransactionKind.BUY
    return TransactionDraft(kind, contract.expiry, contract.symbol, abs(quantity), premium, notes=notes)


def settlement_plan(
    contract: OptionContract, position: Position, underlying_close: Decimal
) -> SettlementPlan:
    """The entries that settle ``position`` in ``contract`` given the underlying's close at expiry."""
    quantity = position.quantity
    intrinsic = contract.intrinsic_value(underlying_close)
    at = f"{underlying_close.normalize():f}"
    if intrinsic <= 0:
        lapse = (_close(contract, quantity, _ZERO, f"expired worthless (underlying closed at {at})"),)
        return SettlementPlan(lapse, lapse)
    exercised = quantity > 0
    action = "exercised" if exercised else "assigned"
    buys_shares = (contract.kind is OptionKind.CALL) == exercised
    shares = TransactionDraft(
        TransactionKind.BUY if buys_shares else TransactionKind.SELL,
        contract.expiry,
        contract.underlying,
        abs(quantity) * contract.multiplier,
        contract.strike,
        notes=f"{contract.describe()} {action} at expiry",
    )
    physical = (_close(contract, quantity, _ZERO, f"{action} (underlying closed at {at})"), shares)
    cash = (_close(contract, quantity, intrinsic, f"{action}, settled in cash (underlying closed at {at})"),)
    return SettlementPlan(physical, cash)
