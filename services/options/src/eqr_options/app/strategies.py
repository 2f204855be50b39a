"""Strategy analysis, and strategies built from a template on a symbol's chain."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

import numpy as np

from eqr_options.app.chains import QuotedChain
from eqr_options.app.legs import LegSpec, strategy_from_specs
from eqr_options.domain import strategies, strategy_analysis
from eqr_options.domain.arrays import FloatArray
from eqr_options.domain.black_scholes import DAYS_PER_YEAR, Greeks
from eqr_options.domain.errors import ValidationFailed, ViolationCollector
from eqr_options.domain.strategies import LegKind, Strategy
from eqr_options.domain.strategy_analysis import Market

DEFAULT_SPOT_SHOCKS: Final = tuple(np.round(np.linspace(-0.2, 0.2, 9), 10).tolist())
DEFAULT_VOL_SHOCKS: Final = (-0.10, -0.05, 0.0, 0.05, 0.10)
DEFAULT_DIAGRAM_POINTS: Final = 201
MAX_DIAGRAM_POINTS: Final = 5_001
MAX_SHOCKS: Final = 101
MAX_CONTRACTS: Final = 100_000


@dataclass(frozen=True)
class AnalysisRequest:
    name: str
    legs: tuple[LegSpec, ...]
    market: Market
    valuation_date: date
    elapsed_years: float
    spot_shocks: tuple[float, ...]
    vol_shocks: tuple[float, ...]
    diagram_points: int


@dataclass(frozen=True)
class Analysis:
    cost: float
    horizon_years: float
    breakevens: list[float]
    max_profit: float
    """+inf when unlimited."""
    max_loss: float
    """-inf when unlimited."""
    probability_of_profit: float
    net_greeks: Greeks
    diagram: strategy_analysis.Diagram
    spot_shocks: FloatArray
    vol_shocks: FloatArray
    scenario_pnl: FloatArray
    """(spot shocks, vol shocks)."""
    elapsed_years: float


def _check_market(market: Market) -> None:
    collector = ViolationCollector()
    if not (math.isfinite(market.spot) and market.spot > 0):
        collector.add("market.spot", "must be a finite number above 0")
    for name, value in (("market.rate", market.rate), ("market.dividend_yield", market.dividend_yield)):
        if not (math.isfinite(value) and abs(value) <= 1):
            collector.add(name, "must be within ±100%")
    collector.raise_if_any()


def _shocks(values: tuple[float, ...], default: tuple[float, ...], field: str, floor: float) -> FloatArray:
    shocks = np.array(values or default, dtype=np.float64)
    if shocks.size > MAX_SHOCKS:
        raise ValidationFailed.single(field, f"must have at most {MAX_SHOCKS} values")
    bad = np.flatnonzero(~np.isfinite(shocks) | (shocks <= floor) | (np.abs(shocks) > 10))
    if bad.size:
        raise ValidationFailed.single(field, f"row {bad[0]}: must be finite, above {floor:g} and at most 10")
    return shocks


def pricing_vol(strategy: Strategy) -> float:
    """The volatility the probability of profit takes: the option legs' vols, weighted by units."""
    options = [leg for leg in strategy.legs if leg.is_option]
    weights = [abs(leg.units) for leg in options]
    return float(np.average([leg.vol for leg in options], weights=weights))


def analyze(request: AnalysisRequest) -> Analysis:
    """Everything ``StrategyAnalysis`` reports (CPU-bound: run in a thread)."""
    _check_market(request.market)
    strategy = strategy_from_specs(request.name, request.legs, request.valuation_date)
    if not any(leg.is_option for leg in strategy.legs):
        raise ValidationFailed.single("legs", "must include an option leg")
    horizon = strategy_analysis.horizon(strategy)
    elapsed = request.elapsed_years
    if not (math.isfinite(elapsed) and 0 <= elapsed <= horizon):
        raise ValidationFailed.single(
            "elapsed_years", f"must be between 0 and the first expiry ({horizon:g})"
        )
    points = request.diagram_points or DEFAULT_DIAGRAM_POINTS
    if not 2 <= points <= MAX_DIAGRAM_POINTS:
        raise ValidationFailed.single("diagram_points", f"must be between 2 and {MAX_DIAGRAM_POINTS}")
    spot_shocks = _shocks(request.spot_shocks, DEFAULT_SPOT_SHOCKS, "spot_shocks", -1.0)
    vol_shocks = _shocks(request.vol_shocks, DEFAULT_VOL_SHOCKS, "vol_shocks", -10.0)
    market = request.market
    extremes = strategy_analysis.extremes(strategy, market)
    return Analysis(
        cost=strategy.cost,
        horizon_years=horizon,
        breakevens=strategy_analysis.breakevens(strategy, market),
        max_profit=extremes.max_profit,
        max_loss=extremes.max_loss,
        probability_of_profit=strategy_analysis.probability_of_profit(
            strategy, market, pricing_vol(strategy)
        ),
        net_greeks=strategy_analysis.net_greeks(strategy, market),
        diagram=strategy_analysis.diagram(strategy, market, points, elapsed),
        spot_shocks=spot_shocks,
        vol_shocks=vol_shocks,
        scenario_pnl=strategy_analysis.scenario_grid(
            strategy, market, spot_shocks, vol_shocks, elapsed_years=elapsed
        ),
        elapsed_years=elapsed,
    )


class Template(StrEnum):
    COVERED_CALL = "covered call"
    PROTECTIVE_PUT = "protective put"
    BULL_CALL_SPREAD = "bull call spread"
    BEAR_PUT_SPREAD = "bear put spread"
    STRADDLE = "straddle"
    STRANGLE = "strangle"
    BUTTERFLY = "butterfly"
    IRON_CONDOR = "iron condor"
    CALENDAR = "calendar"


STRIKES_NEEDED: Final = {
    Template.COVERED_CALL: 1,
    Template.PROTECTIVE_PUT: 1,
    Template.BULL_CALL_SPREAD: 2,
    Template.BEAR_PUT_SPREAD: 2,
    Template.STRADDLE: 1,
    Template.STRANGLE: 2,
    Template.BUTTERFLY: 3,
    Template.IRON_CONDOR: 4,
    Template.CALENDAR: 1,
}


@dataclass(frozen=True)
class Built:
    name: str
    legs: tuple[LegSpec, ...]
    market: Market


class _Quotes:
    """(strike, premium, vol) of listed contracts: the mid, and its implied vol (the model's
    where the mid has none)."""

    def __init__(self, quoted: QuotedChain) -> None:
        self._quoted = quoted

    def __call__(self, expiry: date, strike: float, kind: str) -> strategies.Quote:
        row = self._quoted.row(expiry, strike, kind == "call")
        if row is None:
            raise ValidationFailed.single("strikes", f"no listed {kind} at {strike:g} expiring {expiry}")
        chain, iv = self._quoted.chain, self._quoted.iv
        vol = float(iv.vol[row]) if iv.ok[row] else float(chain.model_vol[row])
        return strike, float(chain.mid[row]), vol


def _build(
    template: Template, k: list[float], near: date, far: date | None, quoted: QuotedChain, n: int
) -> Strategy:
    quote = _Quotes(quoted)
    spot = quoted.underlying.spot
    years = (near - quoted.day).days / DAYS_PER_YEAR
    match template:
        case Template.COVERED_CALL:
            return strategies.covered_call(spot, quote(near, k[0], "call"), years, n)
        case Template.PROTECTIVE_PUT:
            return strategies.protective_put(spot, quote(near, k[0], "put"), years, n)
        case Template.BULL_CALL_SPREAD:
            return strategies.vertical("call", quote(near, k[0], "call"), quote(near, k[1], "call"), years, n)
        case Template.BEAR_PUT_SPREAD:
            return strategies.vertical("put", quote(near, k[1], "put"), quote(near, k[0], "put"), years, n)
        case Template.STRADDLE:
            return strategies.straddle(quote(near, k[0], "call"), quote(near, k[0], "put"), years, n)
        case Template.STRANGLE:
            return strategies.strangle(quote(near, k[1], "call"), quote(near, k[0], "put"), years, n)
        case Template.BUTTERFLY:
            low, middle, high = (quote(near, strike, "call") for strike in k)
            return strategies.butterfly("call", low, middle, high, years, n)
        case Template.IRON_CONDOR:
            return strategies.iron_condor(
                quote(near, k[0], "put"),
                quote(near, k[1], "put"),
                quote(near, k[2], "call"),
                quote(near, k[3], "call"),
                years,
                n,
            )
        case Template.CALENDAR:
            assert far is not None
            far_years = (far - quoted.day).days / DAYS_PER_YEAR
            return strategies.calendar(
                "call", quote(near, k[0], "call"), quote(far, k[0], "call"), years, far_years, n
            )


def build(
    template: Template, strikes: list[float], expiries: list[date], contracts: int, quoted: QuotedChain
) -> Built:
    """The template's legs at the chain's mids and implied vols, expiries as dates."""
    collector = ViolationCollector()
    needed = STRIKES_NEEDED[template]
    if len(strikes) != needed:
        collector.add("strikes", f"a {template} takes {needed} strike(s), in increasing order")
    elif any(b <= a for a, b in itertools.pairwise(strikes)):
        collector.add("strikes", "must be in increasing order")
    expiries_needed = 2 if template is Template.CALENDAR else 1
    if len(expiries) != expiries_needed:
        collector.add("expiries", f"a {template} takes {expiries_needed} expiry date(s)")
    elif template is Template.CALENDAR and expiries[1] <= expiries[0]:
        collector.add("expiries", "the far expiry must come after the near one")
    if not 0 <= contracts <= MAX_CONTRACTS:
        collector.add("contracts", f"must be between 1 and {MAX_CONTRACTS} (1 when 0)")
    collector.raise_if_any()
    listed = set(quoted.chain.expiry)
    if unlisted := [e for e in expiries if e not in listed]:
        raise ValidationFailed.single(
            "expiries", f"{unlisted[0]} is not a listed expiry of {quoted.underlying.symbol}"
        )
    far = expiries[1] if template is Template.CALENDAR else None
    strategy = _build(template, strikes, expiries[0], far, quoted, contracts or 1)
    legs = tuple(
        LegSpec(
            kind=leg.kind,
            quantity=leg.quantity,
            premium=leg.premium,
            strike=leg.strike,
            expiry=quoted.day + timedelta(days=round(leg.expiry_years * DAYS_PER_YEAR))
            if leg.is_option
            else None,
            vol=leg.vol,
            multiplier=leg.multiplier if leg.kind is not LegKind.STOCK else 0,
        )
        for leg in strategy.legs
    )
    u = quoted.underlying
    return Built(strategy.name, legs, Market(u.spot, u.rate, u.dividend_yield))
