"""Inside a trading day: minute bars that reproduce a daily bar exactly, and live ticks.

``intraday_bars`` draws a path over the session on a grid of ``SUBSTEPS`` points a minute:
Brownian bridges in log price from the open through the day's high and low (pinned at
random minutes) to the close, reflected into [low, high]. Bars take their open/close from the
path at their boundaries and their high/low from the path inside them, so together they
reach exactly the daily high and low. Volume is spread over the minutes in a U shape
(busy open and close) and rounded so that it sums exactly to the daily volume.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

import numpy as np

from eqr_market_data.domain.model import Bar, Interval
from eqr_market_data.domain.simulator.benchmarks import BenchmarkWeights
from eqr_market_data.domain.simulator.bond import BondModel
from eqr_market_data.domain.simulator.model import FactorModel, unit_student_t
from eqr_market_data.domain.simulator.streams import Stream, day_index, generator
from eqr_market_data.domain.simulator.universe import FloatArray, IntArray

SUBSTEPS = 4
"""Path points per minute, so that a one-minute bar has a high and low of its own."""
BRIDGE_VOL = 0.4
"""Path volatility over the session, as a fraction of the day's log range."""
U_SHAPE = 3.0
"""How much busier the first and last minutes are than midday (1 + U_SHAPE times)."""
VOLUME_NOISE = 0.25
SESSION_SECONDS = 23_400.0
"""A regular NYSE session (6.5 hours): the time over which a day's volatility accrues."""


def intraday_bars(
    daily_bar: Bar,
    session_open: datetime,
    session_close: datetime,
    minutes_per_bar: int = 1,
    *,
    seed: int,
) -> list[Bar]:
    """Bars of ``minutes_per_bar`` (1, 5, 15 or 60) covering the session, oldest first.

    Deterministic given (seed, symbol, day); any bar size cuts the same one-minute path.
    Aggregating all bars gives back the daily bar's open, high, low, close and volume.
    """
    interval = _interval(minutes_per_bar)
    minutes = _session_minutes(session_open, session_close)
    if (
        not 0
        < daily_bar.low
        <= min(daily_bar.open, daily_bar.close)
        <= max(daily_bar.open, daily_bar.close)
        <= daily_bar.high
    ):
        raise ValueError("the daily bar's prices are inconsistent")
    rng = generator(seed, Stream.INTRADAY, day_index(daily_bar.start.date()), daily_bar.symbol)
    path = _pinned_path(daily_bar, minutes * SUBSTEPS, rng)
    volume = _u_shaped_volume(daily_bar.volume, minutes, rng)

    first_minutes = np.arange(0, minutes, minutes_per_bar)
    starts = first_minutes * SUBSTEPS
    ends = np.minimum(first_minutes + minutes_per_bar, minutes) * SUBSTEPS
    opens, closes = path[starts], path[ends]
    highs = np.maximum(np.maximum.reduceat(path[:-1], starts), closes)
    lows = np.minimum(np.minimum.reduceat(path[:-1], starts), closes)
    volumes = np.add.reduceat(volume, first_minutes)
    return [
        Bar(
            daily_bar.symbol,
            interval,
            session_open + timedelta(minutes=minute),
            o,
            h,
            lo,
            c,
            v,
            daily_bar.source,
        )
        for minute, o, h, lo, c, v in zip(
            first_minutes.tolist(),
            opens.tolist(),
            highs.tolist(),
            lows.tolist(),
            closes.tolist(),
            volumes.tolist(),
            strict=True,
        )
    ]


def _interval(minutes_per_bar: int) -> Interval:
    for interval in Interval:
        if interval.is_intraday and interval.minutes == minutes_per_bar:
            return interval
    raise ValueError(f"minutes_per_bar must be 1, 5, 15 or 60, not {minutes_per_bar}")


def _session_minutes(session_open: datetime, session_close: datetime) -> int:
    seconds = (session_close - session_open).total_seconds()
    if seconds <= 0 or seconds % 60:
        raise ValueError("the session must last a positive whole number of minutes")
    return int(seconds // 60)


def _pinned_path(bar: Bar, steps: int, rng: np.random.Generator) -> FloatArray:
    """Prices at ``steps + 1`` points: open first, close last, the high and low each reached."""
    high_at, low_at = (int(i) for i in rng.choice(np.arange(1, steps), size=2, replace=False))
    spread = max(math.log(bar.high / bar.low), 1e-4)
    walk = np.concatenate(([0.0], np.cumsum(rng.standard_normal(steps)))) * (
        BRIDGE_VOL * spread / math.sqrt(steps)
    )
    pins = {0: bar.open, steps: bar.close}
    if bar.high > max(bar.open, bar.close):
        pins[high_at] = bar.high
    if bar.low < min(bar.open, bar.close):
        pins[low_at] = bar.low
    log_path = np.empty(steps + 1)
    for a, b in pairwise(sorted(pins)):
        noise = walk[a : b + 1] - walk[a]
        fraction = np.arange(b - a + 1) / (b - a)
        start, end = math.log(pins[a]), math.log(pins[b])
        log_path[a : b + 1] = start + fraction * (end - start) + noise - fraction * noise[-1]
    folded = _fold(log_path, math.log(bar.low), math.log(bar.high))
    prices: FloatArray = np.clip(np.round(np.exp(folded), 2), bar.low, bar.high)
    for position, price in pins.items():
        prices[position] = price
    return prices


def _fold(values: FloatArray, low: float, high: float) -> FloatArray:
    """Reflects excursions beyond [low, high] back inside (clipping would leave flat runs)."""
    width = high - low
    if width <= 0:
        return np.full_like(values, low)
    offset = np.mod(values - low, 2.0 * width)
    folded: FloatArray = low + np.where(offset > width, 2.0 * width - offset, offset)
    return folded


def _u_shaped_volume(total: int, minutes: int, rng: np.random.Generator) -> IntArray:
    """Whole shares per minute, summing exactly to ``total``."""
    middle_distance = 2.0 * (np.arange(minutes) + 0.5) / minutes - 1.0
    weights = (1.0 + U_SHAPE * middle_distance**2) * np.exp(VOLUME_NOISE * rng.standard_normal(minutes))
    ideal = total * weights / weights.sum()
    shares: IntArray = np.floor(ideal).astype(np.int64)
    leftover = total - int(shares.sum())
    shares[np.argsort(shares - ideal, kind="stable")[:leftover]] += 1
    return shares


@dataclass(frozen=True)
class TickModel:
    """What a live step needs: the equities' factor loadings, the benchmarks' members and the
    bond fund's model."""

    symbols: tuple[str, ...]
    """The equities, aligned with ``model.params``."""
    model: FactorModel
    benchmarks: tuple[BenchmarkWeights, ...]
    bond: BondModel


def tick(
    prices: Mapping[str, float], dt_seconds: float, counter: int, seed: int, params: TickModel
) -> dict[str, float]:
    """Prices ``dt_seconds`` of trading later: one correlated log-normal step.

    Equities move by the factor model with its long-run variances scaled by
    ``dt / 23,400 s`` (the day's variance accrues over a regular session), as martingales.
    Indices and ETFs move by their members' moves at end-2024 weights; the bond fund by its
    own model, with the same market factor move. Deterministic given (seed, counter);
    symbols the simulator does not know keep their price.
    """
    if dt_seconds <= 0:
        raise ValueError("dt_seconds must be positive")
    model = params.model
    p = model.params
    scale = math.sqrt(dt_seconds / SESSION_SECONDS)
    rng = generator(seed, Stream.TICK, counter)
    market = math.sqrt(model.garch.long_run_variance) * float(unit_student_t(rng, model.garch.df, 1)[0])
    sectors = rng.standard_normal(len(model.sector_vol)) * model.sector_vol
    own = unit_student_t(rng, model.idio_df, len(p.beta)) * p.idio_vol
    shock = scale * (p.beta * market + p.sector_loading * sectors[p.sector] + own)
    growth = np.exp(shock - 0.5 * scale**2 * model.conditional_variance(model.garch.long_run_variance))

    moved = dict(prices)
    for symbol, factor in zip(params.symbols, growth.tolist(), strict=True):
        if symbol in moved:
            moved[symbol] = moved[symbol] * factor
    for benchmark in params.benchmarks:
        if benchmark.symbol in moved:
            change = float(benchmark.anchor_shares @ (growth[benchmark.members] - 1.0))
            moved[benchmark.symbol] = moved[benchmark.symbol] * (1.0 + change)
    bond = params.bond.fund.instrument.symbol
    if bond in moved:
        moved[bond] = moved[bond] * params.bond.tick_growth(seed, counter, market, scale)
    return moved
