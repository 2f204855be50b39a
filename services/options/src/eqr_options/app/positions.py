"""Option positions valued for the portfolio service.

A contract is valued, per unit of the underlying, at its chain mid when it is listed; at the
model (Black-Scholes-Merton) price at the fitted surface's volatility when it is not; at
intrinsic value at the underlying's price on its expiry day; once the expiry is before the
valuation day (``expired``), at intrinsic value at the underlying's close on the expiry day
(the last before it), which no longer moves. Position Greeks are for units = quantity x multiplier: dollar
delta = delta x spot x units, dollar gamma = 0.5 x gamma x (0.01 x spot)² x units (the P&L of
gamma for a 1% move), vega per vol point = vega / 100 x units, theta per calendar day x units.
``previous_price`` is the contract at the underlying's previous close with one day more to
expiry and the same volatility: what the day's change is measured from.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

import numpy as np

from eqr_options.app.chains import QuotedChain
from eqr_options.app.dependencies import Dependencies
from eqr_options.app.legs import years_between
from eqr_options.app.symbols import normalise_symbol
from eqr_options.domain.black_scholes import DAYS_PER_YEAR, Greeks, greeks
from eqr_options.domain.errors import ValidationFailed, ViolationCollector
from eqr_options.domain.inputs import MAX_YEARS, option_terms
from eqr_options.domain.strategies import CONTRACT_MULTIPLIER

ONE_DAY: Final = 1.0 / DAYS_PER_YEAR


class PriceSource(StrEnum):
    CHAIN_MID = "chain_mid"
    MODEL = "model"
    INTRINSIC = "intrinsic"


@dataclass(frozen=True)
class Contract:
    underlying: str
    expiry: date
    strike: float
    is_call: bool
    multiplier: int
    """0 stands for the standard 100."""


@dataclass(frozen=True)
class Position:
    contract: Contract
    quantity: float


@dataclass(frozen=True)
class Valuation:
    position: Position
    price: float
    source: PriceSource
    underlying_price: float
    iv: float
    """NaN where there is none (expired, or a mid without an implied vol)."""
    delta: float
    gamma: float
    dollar_delta: float
    dollar_gamma: float
    vega_per_point: float
    theta_per_day: float
    expired: bool
    previous_price: float


def _checked(positions: list[Position], day: date, limit: int) -> list[Position]:
    collector = ViolationCollector()
    if len(positions) > limit:
        raise ValidationFailed.single("positions", f"must hold at most {limit} positions")
    checked = []
    last_expiry = day + timedelta(days=int(MAX_YEARS * DAYS_PER_YEAR))
    for i, p in enumerate(positions):
        c, where = p.contract, f"positions[{i}]"
        try:
            symbol = normalise_symbol(c.underlying, f"{where}.contract.underlying")
        except ValidationFailed as exc:
            collector.violations.extend(exc.violations)
            continue
        if not (math.isfinite(c.strike) and c.strike > 0):
            collector.add(f"{where}.contract.strike", "must be a finite number above 0")
        if c.expiry > last_expiry:
            collector.add(f"{where}.contract.expiry", f"must be within {MAX_YEARS:g} years")
        if c.multiplier < 0:
            collector.add(f"{where}.contract.multiplier", "must not be negative (0 for the standard 100)")
        if not math.isfinite(p.quantity):
            collector.add(f"{where}.quantity", "must be a finite number")
        multiplier = c.multiplier or CONTRACT_MULTIPLIER
        checked.append(Position(Contract(symbol, c.expiry, c.strike, c.is_call, multiplier), p.quantity))
    collector.raise_if_any()
    return checked


def _model(quoted: QuotedChain, spot: float, contract: Contract, years: float, vol: float) -> Greeks:
    u = quoted.underlying
    terms = option_terms(
        spot=spot,
        strike=contract.strike,
        years=years,
        rate=u.rate,
        dividend_yield=u.dividend_yield,
        is_call=contract.is_call,
    )
    return greeks(terms, np.array([vol]))


def _intrinsic(contract: Contract, spot: float) -> float:
    return max((spot - contract.strike) if contract.is_call else (contract.strike - spot), 0.0)


@dataclass(frozen=True)
class _Mark:
    source: PriceSource
    price: float
    iv: float
    vol: float
    """The volatility ``previous_price`` is taken at."""
    greeks: Greeks | None
    row: int = 0


def _mark(c: Contract, quoted: QuotedChain, years: float) -> _Mark:
    u = quoted.underlying
    if years == 0:  # expires today: worth its exercise value
        return _Mark(PriceSource.INTRINSIC, _intrinsic(c, u.spot), math.nan, u.vol, None)
    row = quoted.row(c.expiry, c.strike, c.is_call)
    if row is not None:
        iv = float(quoted.iv.vol[row])
        vol = iv if math.isfinite(iv) else float(quoted.chain.model_vol[row])
        return _Mark(PriceSource.CHAIN_MID, float(quoted.chain.mid[row]), iv, vol, quoted.greeks, row)
    forward = u.spot * math.exp((u.rate - u.dividend_yield) * years)
    vol = quoted.surface().vol(years, math.log(c.strike / forward)) or u.vol
    model = _model(quoted, u.spot, c, years, vol)
    return _Mark(PriceSource.MODEL, float(model.price[0]), vol, vol, model)


def value(position: Position, quoted: QuotedChain) -> Valuation:
    """One position on ``quoted`` (the chain of its underlying on the valuation day); CPU-bound."""
    c, spot = position.contract, quoted.underlying.spot
    years = years_between(quoted.day, c.expiry)
    if years < 0:  # settles at the close of its expiry day: its value no longer moves
        settled_at = quoted.market.close_on_or_before(c.expiry)
        price = _intrinsic(c, spot if settled_at is None else settled_at)
        return Valuation(
            position, price, PriceSource.INTRINSIC, spot, math.nan, 0, 0, 0, 0, 0, 0, True, price
        )
    mark = _mark(c, quoted, years)
    prev = float(_model(quoted, quoted.previous_close, c, years + ONE_DAY, mark.vol).price[0])
    g, row = mark.greeks, mark.row
    delta, gamma, vega, theta = (
        (float(g.delta[row]), float(g.gamma[row]), float(g.vega[row]), float(g.theta_per_day[row]))
        if g is not None
        else (0.0, 0.0, 0.0, 0.0)
    )
    units = position.quantity * c.multiplier
    return Valuation(
        position=position,
        price=mark.price,
        source=mark.source,
        underlying_price=spot,
        iv=mark.iv,
        delta=delta,
        gamma=gamma,
        dollar_delta=delta * spot * units,
        dollar_gamma=0.5 * gamma * (0.01 * spot) ** 2 * units,
        vega_per_point=vega / 100.0 * units,
        theta_per_day=theta * units,
        expired=False,
        previous_price=prev,
    )


async def value_positions(
    deps: Dependencies, positions: list[Position], as_of: date | None
) -> list[Valuation]:
    """Every position valued now (``as_of`` None or today) or at the close of ``as_of``;
    NotFound when an underlying is unknown to market-data."""
    today = deps.chains.today()
    if as_of is not None and as_of > today:
        raise ValidationFailed.single("as_of", f"must not be after today ({today})")
    day = as_of or today
    checked = _checked(positions, day, deps.max_positions)
    symbols = sorted({p.contract.underlying for p in checked})
    chains = dict(
        zip(symbols, await asyncio.gather(*(deps.chains.chain(s, day) for s in symbols)), strict=True)
    )
    return await asyncio.to_thread(lambda: [value(p, chains[p.contract.underlying]) for p in checked])
