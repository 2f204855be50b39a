"""Listed option contracts as ledger symbols.

A position in an option is kept under the contract's OCC symbol in its compact form,
``AAPL261218C00190000``: the underlying's root (1-6 characters), the expiry as YYMMDD, ``C`` or
``P``, and the strike in thousandths of a unit on eight digits. The padded form the OCC
publishes (``AAPL  261218C00190000``) is accepted and stored compact.

A contract delivers ``CONTRACT_SIZE`` (100) shares, the standard for US equity and index
options: a quantity counts contracts and a price is the premium per share, as brokers quote
them, so a trade's notional is quantity x price x 100. Contracts whose deliverable was changed
by a corporate action (OCC's adjusted roots) are not modelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

CONTRACT_SIZE = Decimal(100)
_ONE = Decimal(1)
_OCC = re.compile(r"(?P<root>[A-Z][A-Z0-9.]{0,5}) *(?P<expiry>[0-9]{6})(?P<kind>[CP])(?P<strike>[0-9]{8})")
_STRIKE_SCALE = Decimal(1000)


class OptionKind(StrEnum):
    CALL = "call"
    PUT = "put"


@dataclass(frozen=True)
class OptionContract:
    underlying: str
    expiry: date
    strike: Decimal
    kind: OptionKind

    @property
    def symbol(self) -> str:
        """The compact OCC symbol."""
        thousandths = int(self.strike * _STRIKE_SCALE)
        letter = "C" if self.kind is OptionKind.CALL else "P"
        return f"{self.underlying}{self.expiry:%y%m%d}{letter}{thousandths:08d}"

    @property
    def multiplier(self) -> Decimal:
        return CONTRACT_SIZE

    def intrinsic_value(self, underlying_price: Decimal) -> Decimal:
        """Per share: what exercising at ``underlying_price`` is worth, or 0."""
        if self.kind is OptionKind.CALL:
            return max(underlying_price - self.strike, Decimal(0))
        return max(self.strike - underlying_price, Decimal(0))

    def describe(self) -> str:
        """For people: ``AAPL 2026-12-18 190 call``."""
        return f"{self.underlying} {self.expiry.isoformat()} {self.strike.normalize():f} {self.kind}"


def looks_like_option(symbol: str) -> bool:
    """``symbol`` is written as an OCC symbol (its date may still be impossible)."""
    return _OCC.fullmatch(symbol) is not None


@lru_cache(maxsize=4096)
def option_contract(symbol: str) -> OptionContract | None:
    """The contract an upper-case OCC symbol names, or ``None`` (a share, or no valid date)."""
    found = _OCC.fullmatch(symbol)
    if found is None:
        return None
    digits = found["expiry"]
    try:
        expiry = date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError:
        return None
    return OptionContract(
        underlying=found["root"],
        expiry=expiry,
        strike=Decimal(int(found["strike"])) / _STRIKE_SCALE,
        kind=OptionKind.CALL if found["kind"] == "C" else OptionKind.PUT,
    )


def contract_size(symbol: str | None) -> Decimal:
    """Shares per unit of quantity: 100 for an option contract, 1 for anything else."""
    if symbol is None:
        return _ONE
    contract = option_contract(symbol)
    return _ONE if contract is None else contract.multiplier
