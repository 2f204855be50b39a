"""Minute bars that add up to their daily bar, and live ticks."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import numpy as np
import pytest

from eqr_market_data.domain.model import Bar, Interval
from eqr_market_data.domain.simulator.benchmarks import benchmark_weights
from eqr_market_data.domain.simulator.bond import BondModel
from eqr_market_data.domain.simulator.daily import DailyGenerator
from eqr_market_data.domain.simulator.intraday import TickModel, intraday_bars, tick
from eqr_market_data.domain.simulator.model import FactorModel
from eqr_market_data.domain.simulator.universe import build_universe

OPEN = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
CLOSE = datetime(2024, 3, 5, 21, 0, tzinfo=UTC)
DAY = Bar(
    "AAPL",
    Interval.D1,
    datetime(2024, 3, 5, tzinfo=UTC),
    170.1,
    173.52,
    168.04,
    171.3,
    52_345_678,
    "simulated",
)


def assert_aggregates_to(bars: list[Bar], daily: Bar) -> None:
    assert bars[0].open == daily.open
    assert bars[-1].close == daily.close
    assert max(b.high for b in bars) == daily.high
    assert min(b.low for b in bars) == daily.low
    assert sum(b.volume for b in bars) == daily.volume
    for bar in bars:
        assert 0 < bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        assert daily.low <= bar.low
        assert bar.high <= daily.high
    for earlier, later in pairwise(bars):
        assert later.open == earlier.close


def test_a_regular_session_has_390_minute_bars_that_add_up_to_the_day() -> None:
    bars = intraday_bars(DAY, OPEN, CLOSE, seed=3)
    assert len(bars) == 390
    assert [b.start for b in bars] == [OPEN + timedelta(minutes=m) for m in range(390)]
    assert {b.interval for b in bars} == {Interval.M1}
    assert {(b.symbol, b.source) for b in bars} == {("AAPL", "simulated")}
    assert_aggregates_to(bars, DAY)


def test_larger_bars_cut_the_same_path() -> None:
    minutes = intraday_bars(DAY, OPEN, CLOSE, seed=3)
    for size, count in ((5, 78), (15, 26), (60, 7)):
        bars = intraday_bars(DAY, OPEN, CLOSE, size, seed=3)
        assert len(bars) == count
        assert_aggregates_to(bars, DAY)
        for n, bar in enumerate(bars):
            group = minutes[n * size : (n + 1) * size]
            assert (bar.open, bar.close) == (group[0].open, group[-1].close)
            assert (bar.high, bar.low) == (max(b.high for b in group), min(b.low for b in group))
            assert bar.volume == sum(b.volume for b in group)
    assert intraday_bars(DAY, OPEN, CLOSE, 60, seed=3)[-1].start == OPEN + timedelta(hours=6)


def test_volume_is_u_shaped() -> None:
    volumes = np.array([b.volume for b in intraday_bars(DAY, OPEN, CLOSE, seed=5)])
    edges = np.concatenate((volumes[:30], volumes[-30:])).mean()
    assert edges > 2 * volumes[150:240].mean()


def test_same_seed_same_path_another_seed_another() -> None:
    assert intraday_bars(DAY, OPEN, CLOSE, seed=8) == intraday_bars(DAY, OPEN, CLOSE, seed=8)
    assert intraday_bars(DAY, OPEN, CLOSE, seed=8) != intraday_bars(DAY, OPEN, CLOSE, seed=9)


@pytest.mark.parametrize(
    ("open_", "high", "low", "close"),
    [(10.0, 10.0, 10.0, 10.0), (10.0, 10.5, 10.0, 10.5), (10.5, 10.5, 9.9, 10.0), (3.0, 3.3, 2.9, 3.2)],
)
def test_edge_shaped_days_still_add_up(open_: float, high: float, low: float, close: float) -> None:
    daily = Bar(
        "F", Interval.D1, datetime(2024, 11, 29, tzinfo=UTC), open_, high, low, close, 1_001, "simulated"
    )
    half_day_close = OPEN.replace(month=11, day=29) + timedelta(minutes=210)
    bars = intraday_bars(daily, OPEN.replace(month=11, day=29), half_day_close, seed=1)
    assert len(bars) == 210
    assert_aggregates_to(bars, daily)


def test_generated_days_add_up_exactly() -> None:
    universe = build_universe()
    generator = DailyGenerator(universe, FactorModel(universe.params, universe.sector_vol), 4)
    run = generator.run([date(2024, 3, 4), date(2024, 3, 5)], None)
    for daily in run.bars[-165:]:
        assert_aggregates_to(intraday_bars(daily, OPEN, CLOSE, 15, seed=4), daily)


def test_bad_bar_sizes_and_sessions_are_rejected() -> None:
    with pytest.raises(ValueError, match="minutes_per_bar"):
        intraday_bars(DAY, OPEN, CLOSE, 7, seed=1)
    with pytest.raises(ValueError, match="session"):
        intraday_bars(DAY, CLOSE, OPEN, seed=1)
    with pytest.raises(ValueError, match="inconsistent"):
        intraday_bars(dataclasses.replace(DAY, high=DAY.close - 1), OPEN, CLOSE, seed=1)


@pytest.fixture(scope="module")
def tick_model() -> TickModel:
    universe = build_universe()
    model = FactorModel(universe.params, universe.sector_vol)
    return TickModel(
        tuple(e.symbol for e in universe.equities),
        model,
        benchmark_weights(universe),
        BondModel(universe.bond, model),
    )


def test_a_tick_is_deterministic_by_seed_and_counter(tick_model: TickModel) -> None:
    prices = {"AAPL": 200.0, "MSFT": 400.0, "^GSPC": 5000.0, "UNKNOWN": 1.0}
    first = tick(prices, 1.0, 17, 42, tick_model)
    assert first == tick(prices, 1.0, 17, 42, tick_model)
    assert first != tick(prices, 1.0, 18, 42, tick_model)
    assert first != tick(prices, 1.0, 17, 43, tick_model)
    assert first["UNKNOWN"] == 1.0
    assert set(first) == set(prices)
    with pytest.raises(ValueError, match="dt_seconds"):
        tick(prices, 0.0, 1, 42, tick_model)


def test_ticks_scale_with_time_and_move_together(tick_model: TickModel) -> None:
    symbols = list(tick_model.symbols)
    a, b, c = symbols.index("JPM"), symbols.index("BAC"), symbols.index("NEE")
    prices = dict.fromkeys(symbols, 100.0)
    dt = 60.0
    moves = np.array(
        [
            [math.log(tick(prices, dt, n, 42, tick_model)[s] / 100.0) for s in ("JPM", "BAC", "NEE")]
            for n in range(3000)
        ]
    )
    model = tick_model.model
    variance = model.conditional_variance(model.garch.long_run_variance)
    expected_vol = np.sqrt(variance[[a, b, c]] * dt / 23_400)
    assert np.allclose(moves.std(axis=0), expected_vol, rtol=0.1)
    p = model.params
    sector = p.sector_loading[[a, b]] * model.sector_vol[p.sector[[a, b]]]
    banks = (p.beta[a] * p.beta[b] * model.garch.long_run_variance + sector[0] * sector[1]) / np.sqrt(
        variance[a] * variance[b]
    )
    assert np.corrcoef(moves[:, 0], moves[:, 1])[0, 1] == pytest.approx(banks, abs=0.06)
    assert np.corrcoef(moves[:, 0], moves[:, 1])[0, 1] > np.corrcoef(moves[:, 0], moves[:, 2])[0, 1]


def test_an_index_tick_follows_its_members(tick_model: TickModel) -> None:
    xlk = next(w for w in tick_model.benchmarks if w.symbol == "XLK")
    members = [tick_model.symbols[i] for i in xlk.members]
    prices = {**dict.fromkeys(members, 100.0), "XLK": 200.0}
    moved = tick(prices, 30.0, 5, 42, tick_model)
    expected = 200.0 * (
        1 + sum(s * (moved[m] / 100.0 - 1) for s, m in zip(xlk.anchor_shares, members, strict=True))
    )
    assert moved["XLK"] == pytest.approx(expected, rel=1e-12)
