"""Daily OHLCV bars and corporate actions from the return model, day by day.

For each equity and day: the previous close, less the dividend and divided by the split
ratio going ex today, is the base; the close is the base moved by the day's return; the
open is the base moved by a share of that return plus overnight noise (a small gap); high
and low reach beyond open and close by exponential excursions scaled by the day's
volatility; volume grows with the size of the move relative to that volatility. Prices are
in cents. Indices and sector ETFs follow from their members (see ``benchmarks``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from eqr_market_data.domain.model import Bar, CorporateAction, Interval, Source
from eqr_market_data.domain.simulator.actions import day_actions
from eqr_market_data.domain.simulator.benchmarks import BenchmarkWeights, benchmark_bar, benchmark_weights
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
    """Day by day; within a day equities in universe order, then indices and ETFs."""
    actions: list[CorporateAction]
    state: MarketState


class DailyGenerator:
    def __init__(self, universe: SimulatedUniverse, model: FactorModel, seed: int) -> None:
        self._universe = universe
        self._model = model
        self._weights: tuple[BenchmarkWeights, ...] = benchmark_weights(universe)
        self._seed = seed
        self._symbols = [e.symbol for e in universe.equities]

    def _starting_state(self, index: int) -> MarketState:
        """A start after day ``index``: every name at its trend price, GARCH at its long-run level."""
        closes = np.maximum(np.round(np.exp(self._universe.params.trend_log_price(index)), 2), MIN_PRICE)
        return MarketState(
            day_index=index,
            closes={**dict(zip(self._symbols, closes.tolist(), strict=True)), **self._levels(closes)},
            split_factors=dict.fromkeys(self._symbols, 1.0),
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
        previous, variance = state.day_index, state.market_variance
        levels: dict[str, float] = {}
        bars: list[Bar] = []
        actions: list[CorporateAction] = []
        for day in days:
            index = day_index(day)
            if index <= previous:
                raise ValueError(f"trading day {day} does not follow the previous generated day")
            day_run = self._day(day, index, previous, closes, split_factors, variance)
            bars += day_run.bars
            actions += day_run.actions
            closes, split_factors, variance = day_run.closes, day_run.split_factors, day_run.next_variance
            levels, previous = day_run.levels, index
        final = MarketState(
            day_index=previous,
            closes={**dict(zip(self._symbols, closes.tolist(), strict=True)), **levels},
            split_factors=dict(zip(self._symbols, split_factors.tolist(), strict=True)),
            market_variance=variance,
        )
        return DailyRun(bars, actions, final)

    def _levels(self, adjusted_closes: FloatArray) -> dict[str, float]:
        return {w.symbol: round(w.level(adjusted_closes), 2) for w in self._weights}

    def _day(
        self,
        day: date,
        index: int,
        previous: int,
        closes: FloatArray,
        split_factors: FloatArray,
        variance: float,
    ) -> _DayResult:
        p = self._universe.params
        actions = day_actions(p, closes, EPOCH + timedelta(days=previous), day)
        log_deviation = np.log(closes * split_factors) - p.trend_log_price(previous)
        returns = day_returns(self._model, self._seed, index, index - previous, log_deviation, variance)
        sigma = np.sqrt(self._model.conditional_variance(variance))
        n = len(closes)
        shapes = generator(self._seed, Stream.BAR_SHAPES, index)
        gap, up, down, noise = (
            shapes.standard_normal(n),
            shapes.standard_exponential(n),
            shapes.standard_exponential(n),
            shapes.standard_normal(n),
        )
        base = (closes - actions.dividend) / actions.split_ratio
        factors = split_factors * actions.split_ratio
        r = returns.log_returns
        close = _cents(base * np.exp(r))
        open_ = _cents(base * np.exp(GAP_SHARE * r + GAP_NOISE * sigma * gap))
        top, bottom = np.maximum(open_, close), np.minimum(open_, close)
        high = np.maximum(_cents(top * np.exp(RANGE_SCALE * sigma * up)), top)
        low = np.minimum(_cents(bottom * np.exp(-RANGE_SCALE * sigma * down)), bottom)
        surprise = VOLUME_RESPONSE * (np.abs(r) / sigma - 0.8) + VOLUME_NOISE * noise - VOLUME_NOISE**2 / 2
        volume = np.maximum(np.rint(p.base_volume * factors * np.exp(surprise)), 1.0)

        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        bars = [
            Bar(symbol, Interval.D1, start, o, h, lo, c, int(v), Source.SIMULATED)
            for symbol, o, h, lo, c, v in zip(
                self._symbols,
                open_.tolist(),
                high.tolist(),
                low.tolist(),
                close.tolist(),
                volume.tolist(),
                strict=True,
            )
        ]
        up_excursion, down_excursion = high / top - 1.0, 1.0 - low / bottom
        levels = {}
        for w in self._weights:
            b = benchmark_bar(
                w, open_ * factors, close * factors, up_excursion, down_excursion, volume, volume * close
            )
            bars.append(
                Bar(w.symbol, Interval.D1, start, b.open, b.high, b.low, b.close, b.volume, Source.SIMULATED)
            )
            levels[w.symbol] = b.close
        return _DayResult(
            bars, actions.records(self._symbols, day), close, factors, levels, returns.next_variance
        )


@dataclass(frozen=True)
class _DayResult:
    bars: list[Bar]
    actions: list[CorporateAction]
    closes: FloatArray
    split_factors: FloatArray
    levels: dict[str, float]
    """The benchmarks' closes."""
    next_variance: float


def _cents(prices: FloatArray) -> FloatArray:
    result: FloatArray = np.maximum(np.round(prices, 2), MIN_PRICE)
    return result
