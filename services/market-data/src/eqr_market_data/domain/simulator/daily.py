"""Daily OHLCV bars and corporate actions from the return model, day by day.

For each equity and day: the previous close, less the dividend and divided by the split
ratio going ex today, is the base; the close is the base moved by the day's return; the
open is the base moved by a share of that return plus overnight noise (a small gap); high
and low reach beyond open and close by exponential excursions scaled by the day's
volatility; volume grows with the size of the move relative to that volatility. Prices are
in cents. The model works in end-2024 shares (raw prices times the splits since the epoch,
divided by the name's planned splits, all before 2025: see ``actions``), so a split moves
neither a name's trend nor a benchmark, and volumes are in the shares of the day. Indices
and ETFs other than the bond fund follow from their members (see ``benchmarks``); the bond
fund's bar is shaped the same way from its own return (see ``bond``). Funds pay their
distributions on their schedules; a benchmark fund's level does not drop by its payout,
since its members' prices already dropped by their dividends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from eqr_market_data.domain.model import ActionKind, Bar, CorporateAction, Interval, Source
from eqr_market_data.domain.simulator.actions import SplitPlan, day_actions, split_plan
from eqr_market_data.domain.simulator.benchmarks import BenchmarkWeights, benchmark_bar, benchmark_weights
from eqr_market_data.domain.simulator.bond import BondModel
from eqr_market_data.domain.simulator.funds import Distribution
from eqr_market_data.domain.simulator.model import FactorModel, MarketState, day_returns
from eqr_market_data.domain.simulator.streams import EPOCH, Stream, day_index, generator
from eqr_market_data.domain.simulator.universe import FloatArray, SimulatedUniverse

GAP_SHARE = 0.25
"""Share of the day's return that happens overnight, before the open."""
GAP_NOISE = 0.2
"""Overnight noise that the session takes back, in units of the day's volatility."""
RANGE_SCALE = 0.45
"""Mean excursion of high (low) beyond max (min) of open and close, in the day's volatility."""
VOLUME_RESPONSE = 0.5
VOLUME_NOISE = 0.3
MIN_PRICE = 0.01


@dataclass(frozen=True)
class DailyRun:
    bars: list[Bar]
    """Day by day; within a day equities in universe order, then indices and ETFs, then the
    bond fund (the order of ``SimulatedUniverse.instruments``)."""
    actions: list[CorporateAction]
    state: MarketState


class DailyGenerator:
    def __init__(
        self,
        universe: SimulatedUniverse,
        model: FactorModel,
        seed: int,
        *,
        splits: SplitPlan | None = None,
    ) -> None:
        """``splits`` replaces the seed's split plan (``split_plan``)."""
        self._universe = universe
        self._model = model
        self._bond = BondModel(universe.bond, model)
        self._weights: tuple[BenchmarkWeights, ...] = benchmark_weights(universe)
        self._seed = seed
        self._symbols = [e.symbol for e in universe.equities]
        self._splits = split_plan(self._symbols, universe.params, seed) if splits is None else splits
        self._others = [*(w.symbol for w in self._weights), universe.bond.instrument.symbol]
        self._distributions: list[tuple[str, Distribution]] = [
            *((b.instrument.symbol, b.distribution) for b in universe.benchmarks if b.distribution),
            (universe.bond.instrument.symbol, universe.bond.distribution),
        ]

    def _starting_state(self, index: int) -> MarketState:
        """A start after day ``index``: every name at its trend price (split if the run starts
        after its target day), GARCH at its long-run level."""
        trend = np.exp(self._universe.params.trend_log_price(index))
        factors = self._splits.starting_factors(index)
        closes = np.maximum(np.round(trend * self._splits.ratio / factors, 2), MIN_PRICE)
        bond = max(round(math.exp(self._bond.trend_log_price(index)), 2), MIN_PRICE)
        return MarketState(
            day_index=index,
            closes={
                **dict(zip(self._symbols, closes.tolist(), strict=True)),
                **self._levels(closes * factors / self._splits.ratio),
                self._universe.bond.instrument.symbol: bond,
            },
            split_factors=dict(zip(self._symbols, factors.tolist(), strict=True)),
            market_variance=self._model.garch.long_run_variance,
        )

    def run(self, days: Sequence[date], state: MarketState | None) -> DailyRun:
        """Bars and actions for ``days`` (strictly increasing, each after ``state.day_index``)."""
        if not days:
            if state is None:
                raise ValueError("no trading days and no state to continue from")
            return DailyRun([], [], state)
        if state is None:
            state = self._starting_state(day_index(days[0]) - 1)
        closes = np.array([state.closes[s] for s in self._symbols])
        split_factors = np.array([state.split_factors[s] for s in self._symbols])
        others = {s: state.closes[s] for s in self._others}
        previous, variance = state.day_index, state.market_variance
        bars: list[Bar] = []
        actions: list[CorporateAction] = []
        for day in days:
            index = day_index(day)
            if index <= previous:
                raise ValueError(f"trading day {day} does not follow the previous generated day")
            day_run = self._day(day, index, previous, closes, split_factors, others, variance)
            bars += day_run.bars
            actions += day_run.actions
            closes, split_factors, variance = day_run.closes, day_run.split_factors, day_run.next_variance
            others, previous = day_run.other_closes, index
        final = MarketState(
            day_index=previous,
            closes={**dict(zip(self._symbols, closes.tolist(), strict=True)), **others},
            split_factors=dict(zip(self._symbols, split_factors.tolist(), strict=True)),
            market_variance=variance,
        )
        return DailyRun(bars, actions, final)

    def _levels(self, closes_in_2024_shares: FloatArray) -> dict[str, float]:
        return {w.symbol: round(w.level(closes_in_2024_shares), 2) for w in self._weights}

    def _day(
        self,
        day: date,
        index: int,
        previous: int,
        closes: FloatArray,
        split_factors: FloatArray,
        other_closes: dict[str, float],
        variance: float,
    ) -> _DayResult:
        p = self._universe.params
        previous_day = EPOCH + timedelta(days=previous)
        actions = day_actions(p, self._splits, closes, split_factors, previous_day, day)
        payouts = {
            symbol: distribution.dividend(other_closes[symbol], previous_day, day)
            for symbol, distribution in self._distributions
        }
        log_deviation = np.log(closes * split_factors / self._splits.ratio) - p.trend_log_price(previous)
        returns = day_returns(self._model, self._seed, index, index - previous, log_deviation, variance)
        sigma = np.sqrt(self._model.conditional_variance(variance))
        base = (closes - actions.dividend) / actions.split_ratio
        factors = split_factors * actions.split_ratio
        shares_2024 = factors / self._splits.ratio  # end-2024 shares per share of the day
        shapes = _Shapes.draw(generator(self._seed, Stream.BAR_SHAPES, index), len(closes))
        equities = _shaped(base, returns.log_returns, sigma, shapes, p.base_volume * shares_2024)

        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        bars = equities.bars(self._symbols, start)
        up_excursion = equities.high / np.maximum(equities.open, equities.close) - 1.0
        down_excursion = 1.0 - equities.low / np.minimum(equities.open, equities.close)
        others = {}
        for w in self._weights:
            b = benchmark_bar(
                w,
                equities.open * shares_2024,
                equities.close * shares_2024,
                up_excursion,
                down_excursion,
                equities.volume,
                equities.volume * equities.close,
            )
            bars.append(
                Bar(w.symbol, Interval.D1, start, b.open, b.high, b.low, b.close, b.volume, Source.SIMULATED)
            )
            others[w.symbol] = b.close

        bond_symbol = self._universe.bond.instrument.symbol
        bond = self._bond_day(
            index, previous, other_closes[bond_symbol], payouts[bond_symbol], returns.market_return, variance
        )
        bars += bond.bars([bond_symbol], start)
        others[bond_symbol] = float(bond.close[0])
        fund_dividends = [
            CorporateAction(symbol=symbol, ex_date=day, kind=ActionKind.DIVIDEND, dividend=cash)
            for symbol, cash in payouts.items()
            if cash > 0
        ]
        return _DayResult(
            bars,
            actions.records(self._symbols, day) + fund_dividends,
            equities.close,
            factors,
            others,
            returns.next_variance,
        )

    def _bond_day(
        self,
        index: int,
        previous: int,
        previous_close: float,
        dividend: float,
        market_return: float,
        variance: float,
    ) -> _Shaped:
        rng = generator(self._seed, Stream.BOND, index)
        log_deviation = math.log(previous_close) - self._bond.trend_log_price(previous)
        log_return = self._bond.log_return(rng, index - previous, log_deviation, market_return)
        return _shaped(
            np.array([previous_close - dividend]),
            np.array([log_return]),
            np.array([math.sqrt(self._bond.variance(variance))]),
            _Shapes.draw(rng, 1),
            np.array([self._universe.bond.typical_volume]),
        )


@dataclass(frozen=True)
class _Shapes:
    """Unit draws for the bars around the closes: the overnight gap, the high's and the
    low's excursions, and the volume noise."""

    gap: FloatArray
    up: FloatArray
    down: FloatArray
    noise: FloatArray

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> _Shapes:
        return cls(
            rng.standard_normal(n),
            rng.standard_exponential(n),
            rng.standard_exponential(n),
            rng.standard_normal(n),
        )


@dataclass(frozen=True)
class _Shaped:
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def bars(self, symbols: Sequence[str], start: datetime) -> list[Bar]:
        return [
            Bar(symbol, Interval.D1, start, o, h, lo, c, int(v), Source.SIMULATED)
            for symbol, o, h, lo, c, v in zip(
                symbols,
                self.open.tolist(),
                self.high.tolist(),
                self.low.tolist(),
                self.close.tolist(),
                self.volume.tolist(),
                strict=True,
            )
        ]


def _shaped(
    base: FloatArray, log_return: FloatArray, sigma: FloatArray, shapes: _Shapes, typical_volume: FloatArray
) -> _Shaped:
    """Bars of names whose prices start the day at ``base`` and move by ``log_return`` on a
    day of volatility ``sigma``."""
    close = _cents(base * np.exp(log_return))
    open_ = _cents(base * np.exp(GAP_SHARE * log_return + GAP_NOISE * sigma * shapes.gap))
    top, bottom = np.maximum(open_, close), np.minimum(open_, close)
    high = np.maximum(_cents(top * np.exp(RANGE_SCALE * sigma * shapes.up)), top)
    low = np.minimum(_cents(bottom * np.exp(-RANGE_SCALE * sigma * shapes.down)), bottom)
    surprise = (
        VOLUME_RESPONSE * (np.abs(log_return) / sigma - 0.8)
        + VOLUME_NOISE * shapes.noise
        - VOLUME_NOISE**2 / 2
    )
    volume = np.maximum(np.rint(typical_volume * np.exp(surprise)), 1.0)
    return _Shaped(open_, high, low, close, volume)


@dataclass(frozen=True)
class _DayResult:
    bars: list[Bar]
    actions: list[CorporateAction]
    closes: FloatArray
    """The equities' closes."""
    split_factors: FloatArray
    other_closes: dict[str, float]
    """The closes of the benchmarks and the bond fund."""
    next_variance: float


def _cents(prices: FloatArray) -> FloatArray:
    result: FloatArray = np.maximum(np.round(prices, 2), MIN_PRICE)
    return result
