"""Multi-leg positions (options and shares) and the builders for the usual strategies.

A leg's ``quantity`` is signed (long > 0, short < 0) and counts contracts for options and
shares for stock; ``premium`` is the price paid (or received) per unit at the opening, so the
strategy's cost is Σ quantity x multiplier x premium. Expiries are in years from the
valuation date of the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from eqr_options.domain.inputs import require

CONTRACT_MULTIPLIER = 100


class LegKind(StrEnum):
    CALL = "call"
    PUT = "put"
    STOCK = "stock"


@dataclass(frozen=True, slots=True)
class Leg:
    kind: LegKind
    quantity: float
    premium: float
    strike: float = 0.0
    expiry_years: float = 0.0
    vol: float = 0.0
    """The leg's volatility for repricing before expiry (its implied volatility)."""
    multiplier: int = CONTRACT_MULTIPLIER

    @property
    def is_option(self) -> bool:
        return self.kind is not LegKind.STOCK

    @property
    def units(self) -> float:
        """Underlying units the leg moves with: contracts x multiplier, or shares."""
        return self.quantity * (self.multiplier if self.is_option else 1)


@dataclass(frozen=True, slots=True)
class Strategy:
    name: str
    legs: tuple[Leg, ...]

    @property
    def cost(self) -> float:
        """Net premium paid at the opening (negative for a credit)."""
        return sum(leg.units * leg.premium for leg in self.legs)


def option(kind: str, quantity: float, strike: float, expiry_years: float, premium: float, vol: float) -> Leg:
    require(kind in ("call", "put"), "kind", "must be call or put")
    require(strike > 0, "strike", "must be above 0")
    require(expiry_years > 0, "expiry_years", "must be above 0")
    require(premium >= 0, "premium", "must not be negative")
    require(0 < vol <= 10, "vol", "must be above 0 and at most 10")
    require(quantity != 0, "quantity", "must not be 0")
    return Leg(LegKind(kind), quantity, premium, strike, expiry_years, vol)


def shares(quantity: float, price: float) -> Leg:
    require(price > 0, "price", "must be above 0")
    require(quantity != 0, "quantity", "must not be 0")
    return Leg(LegKind.STOCK, quantity, price)


def custom(name: str, legs: list[Leg]) -> Strategy:
    require(0 < len(legs) <= 16, "legs", "must have between 1 and 16 legs")
    return Strategy(name, tuple(legs))


Quote = tuple[float, float, float]
"""(strike, premium, vol) of one option as the builders take it."""


def covered_call(spot: float, call: Quote, years: float, contracts: int = 1) -> Strategy:
    return custom("covered call", [shares(100 * contracts, spot), _leg("call", -contracts, call, years)])


def protective_put(spot: float, put: Quote, years: float, contracts: int = 1) -> Strategy:
    return custom("protective put", [shares(100 * contracts, spot), _leg("put", contracts, put, years)])


def vertical(kind: str, long: Quote, short: Quote, years: float, contracts: int = 1) -> Strategy:
    """Bull call / bear put (long the nearer strike) or the credit versions, by the strikes given."""
    return custom(
        f"vertical {kind} spread",
        [_leg(kind, contracts, long, years), _leg(kind, -contracts, short, years)],
    )


def straddle(call: Quote, put: Quote, years: float, contracts: int = 1) -> Strategy:
    require(call[0] == put[0], "strike", "a straddle's call and put share one strike")
    return custom("straddle", [_leg("call", contracts, call, years), _leg("put", contracts, put, years)])


def strangle(call: Quote, put: Quote, years: float, contracts: int = 1) -> Strategy:
    require(put[0] < call[0], "strike", "a strangle's put strike is below its call strike")
    return custom("strangle", [_leg("call", contracts, call, years), _leg("put", contracts, put, years)])


def butterfly(
    kind: str, low: Quote, middle: Quote, high: Quote, years: float, contracts: int = 1
) -> Strategy:
    require(low[0] < middle[0] < high[0], "strike", "strikes must rise: low < middle < high")
    return custom(
        f"{kind} butterfly",
        [
            _leg(kind, contracts, low, years),
            _leg(kind, -2 * contracts, middle, years),
            _leg(kind, contracts, high, years),
        ],
    )


def iron_condor(
    long_put: Quote, short_put: Quote, short_call: Quote, long_call: Quote, years: float, contracts: int = 1
) -> Strategy:
    require(
        long_put[0] < short_put[0] <= short_call[0] < long_call[0],
        "strike",
        "strikes must rise: long put < short put <= short call < long call",
    )
    return custom(
        "iron condor",
        [
            _leg("put", contracts, long_put, years),
            _leg("put", -contracts, short_put, years),
            _leg("call", -contracts, short_call, years),
            _leg("call", contracts, long_call, years),
        ],
    )


def calendar(
    kind: str, near: Quote, far: Quote, near_years: float, far_years: float, contracts: int = 1
) -> Strategy:
    """Short the near expiry, long the far one, at one strike."""
    require(near_years < far_years, "expiry_years", "the far expiry must come after the near one")
    return custom(
        f"{kind} calendar",
        [_leg(kind, -contracts, near, near_years), _leg(kind, contracts, far, far_years)],
    )


def _leg(kind: str, quantity: float, quote: Quote, years: float) -> Leg:
    strike, premium, vol = quote
    return option(kind, quantity, strike, years, premium, vol)
