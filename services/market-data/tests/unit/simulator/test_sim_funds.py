"""SPY and AGG: listed like the rest, SPY at the S&P 500's level, AGG a bond fund on streams of
its own, and every other name drawing exactly what it drew before the two were added."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, timedelta

import numpy as np
import pytest

from eqr_market_data.domain.market import is_sector_benchmark
from eqr_market_data.domain.model import ActionKind, AssetClass, Bar, CorporateAction
from eqr_market_data.domain.search import rank_instruments
from eqr_market_data.domain.simulator import MarketState, SimulatedMarket
from eqr_market_data.domain.simulator.actions import SplitPlan
from eqr_market_data.domain.simulator.benchmarks import benchmark_weights
from eqr_market_data.domain.simulator.bond import BondModel
from eqr_market_data.domain.simulator.daily import DailyGenerator
from eqr_market_data.domain.simulator.funds import AGG, SPY
from eqr_market_data.domain.simulator.model import FactorModel, unit_student_t
from eqr_market_data.domain.simulator.streams import Stream, generator
from eqr_market_data.domain.simulator.universe import SimulatedUniverse, build_universe

SEED = 42
SPY_PER_GSPC = 586.0 / 5_882.0
"""The real end-2024 levels: SPY holds a tenth of the index, less its fees over the years."""

Run = tuple[list[Bar], list[CorporateAction], MarketState]


def weekdays(start: date, end: date) -> list[date]:
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [d for d in days if d.weekday() < 5]


HALF_YEAR = weekdays(date(2018, 1, 1), date(2018, 6, 30))


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    return SimulatedMarket(SEED)


@pytest.fixture(scope="module")
def half_year(market: SimulatedMarket) -> Run:
    return market.generate(HALF_YEAR)


@pytest.fixture(scope="module")
def universe() -> SimulatedUniverse:
    return build_universe()


def closes(bars: list[Bar], symbol: str) -> np.ndarray:
    return np.array([b.close for b in bars if b.symbol == symbol])


def dividends(actions: list[CorporateAction], symbol: str) -> dict[date, float]:
    return {a.ex_date: a.dividend for a in actions if a.symbol == symbol and a.kind == ActionKind.DIVIDEND}


def test_existing_names_draw_what_they_drew_before_the_funds_were_added(
    market: SimulatedMarket, universe: SimulatedUniverse, half_year: Run
) -> None:
    """Values recorded from the simulator as it was before SPY and AGG existed (same seed, days),
    and before it planned splits: generated here without them."""
    model = FactorModel(universe.params, universe.sector_vol)
    unsplit = DailyGenerator(universe, model, SEED, splits=SplitPlan.none(len(universe.companies)))
    run = unsplit.run(HALF_YEAR, None)
    bars, actions, state = run.bars, run.actions, run.state
    recorded = {
        date(2018, 3, 15): {
            "AAPL": 106.92,
            "KO": 44.71,
            "JPM": 135.37,
            "^GSPC": 3367.66,
            "^DJI": 25032.39,
            "XLK": 96.64,
        },
        date(2018, 6, 29): {
            "AAPL": 106.58,
            "KO": 48.05,
            "JPM": 159.99,
            "^GSPC": 3566.0,
            "^DJI": 26347.79,
            "XLK": 105.99,
        },
    }
    for day, expected in recorded.items():
        assert {b.symbol: b.close for b in bars if b.start.date() == day and b.symbol in expected} == expected
    assert [(a.symbol, a.ex_date, a.dividend) for a in actions if a.symbol in ("KO", "JPM")] == [
        ("KO", date(2018, 1, 10), 0.35),
        ("JPM", date(2018, 1, 10), 0.82),
        ("KO", date(2018, 4, 10), 0.37),
        ("JPM", date(2018, 4, 10), 0.74),
    ]
    assert state.market_variance == pytest.approx(4.290064630984532e-05, rel=1e-12)
    # The planned splits change only the names that split: their pre-split prices are a multiple
    # of these, rounded to cents, which moves the levels by a few cents.
    with_splits = {(b.symbol, b.start): b.close for b in half_year[0]}
    for bar in bars:
        if bar.symbol in ("AAPL", "KO", "JPM", "AGG"):
            assert with_splits[bar.symbol, bar.start] == bar.close
        elif bar.symbol in ("^GSPC", "^DJI", "XLK", "SPY"):
            assert with_splits[bar.symbol, bar.start] == pytest.approx(bar.close, rel=1e-4)
    moved = market.tick({"AAPL": 200.0, "XLE": 90.0}, 1.0, 17)
    assert moved == pytest.approx({"AAPL": 200.04335938703247, "XLE": 89.98706012616023}, rel=1e-12)


def test_the_funds_are_listed_last_as_etfs_without_a_sector(market: SimulatedMarket) -> None:
    instruments = market.instruments
    assert [i.symbol for i in instruments[-3:]] == ["XLC", "SPY", "AGG"]
    funds = {i.symbol: i for i in instruments[-2:]}
    assert funds["SPY"].name == "SPDR S&P 500 ETF Trust"
    assert funds["AGG"].name == "iShares Core U.S. Aggregate Bond ETF"
    for fund in funds.values():
        assert (fund.exchange, fund.currency, fund.asset_class) == ("NYSE Arca", "USD", AssetClass.ETF)
        assert (fund.sector, fund.industry, fund.source) == ("", "", "simulated")
        assert fund.shares_outstanding > 1_000_000_000
        assert not is_sector_benchmark(fund)
        assert market.fundamentals(fund.symbol, date(2025, 3, 1), 100.0) == []


def test_search_finds_the_funds(market: SimulatedMarket) -> None:
    assert rank_instruments(market.instruments, "spy")[0].symbol == "SPY"
    assert [i.symbol for i in rank_instruments(market.instruments, "aggregate bond")] == ["AGG"]
    assert "SPY" in [i.symbol for i in rank_instruments(market.instruments, "s&p 500")]


def test_spy_is_the_sp500_at_its_own_2024_level(half_year: Run) -> None:
    """Both are levels of the same cap-weighted members, so they differ by the fixed ratio of
    their real 2024 levels up to each one's rounding to the cent."""
    bars = half_year[0]
    spy = [b for b in bars if b.symbol == "SPY"]
    gspc = [b for b in bars if b.symbol == "^GSPC"]
    assert len(spy) == len(gspc) == len(HALF_YEAR)
    for ours, index in zip(spy, gspc, strict=True):
        for field in ("open", "high", "low", "close"):
            assert getattr(ours, field) == pytest.approx(SPY_PER_GSPC * getattr(index, field), abs=0.011)
        assert ours.volume > 0


def test_spy_pays_its_members_dividends_quarterly_without_leaving_the_index(
    universe: SimulatedUniverse, half_year: Run
) -> None:
    bars, actions, _ = half_year
    paid = dividends(actions, "SPY")
    # The first weekdays on or after the 20th of March and June 2018: a Tuesday and a Wednesday.
    assert list(paid) == [date(2018, 3, 20), date(2018, 6, 20)]
    spy = closes(bars, "SPY")
    for ex_date, cash in paid.items():
        previous_close = spy[HALF_YEAR.index(ex_date) - 1]
        assert cash == round(previous_close * 0.012 / 4, 2)
    spy_weights = next(w for w in benchmark_weights(universe) if w.symbol == "SPY")
    members_yield = float(spy_weights.anchor_shares @ universe.params.dividend_yield[spy_weights.members])
    assert SPY.distribution.annual_yield == pytest.approx(members_yield, abs=0.001)


def test_agg_pays_monthly_out_of_its_price(universe: SimulatedUniverse, half_year: Run) -> None:
    bars, actions, _ = half_year
    paid = dividends(actions, "AGG")
    # The first weekday of each month (the run starts on Monday 2018-01-01).
    assert list(paid) == [date(2018, m, 2 if m == 4 else 1) for m in range(1, 7)]
    agg = closes(bars, "AGG")
    for ex_date, cash in paid.items():
        if ex_date != HALF_YEAR[0]:
            assert cash == round(agg[HALF_YEAR.index(ex_date) - 1] * 0.037 / 12, 2)

    ex = HALF_YEAR.index(date(2018, 3, 1))
    model = FactorModel(universe.params, universe.sector_vol)
    before = DailyGenerator(universe, model, SEED).run(HALF_YEAR[:ex], None)
    later = dataclasses.replace(AGG, distribution=dataclasses.replace(AGG.distribution, day=15))
    unpaid = DailyGenerator(dataclasses.replace(universe, bond=later), model, SEED).run(
        [HALF_YEAR[ex]], before.state
    )
    assert not dividends(unpaid.actions, "AGG")
    previous, cash = before.state.closes["AGG"], paid[HALF_YEAR[ex]]
    [without] = closes(unpaid.bars, "AGG")
    assert agg[ex] == pytest.approx(without * (previous - cash) / previous, abs=0.011)


def test_agg_draws_from_its_own_streams(universe: SimulatedUniverse) -> None:
    """A different bond fund leaves every other instrument's bars and actions as they were."""
    days = HALF_YEAR[:40]
    model = FactorModel(universe.params, universe.sector_vol)
    other_bond = dataclasses.replace(AGG, annual_vol=0.2, equity_correlation=0.5)
    base = DailyGenerator(universe, model, SEED).run(days, None)
    changed = DailyGenerator(dataclasses.replace(universe, bond=other_bond), model, SEED).run(days, None)
    assert [b for b in changed.bars if b.symbol != "AGG"] == [b for b in base.bars if b.symbol != "AGG"]
    assert [a for a in changed.actions if a.symbol != "AGG"] == [a for a in base.actions if a.symbol != "AGG"]
    assert not np.allclose(closes(changed.bars, "AGG"), closes(base.bars, "AGG"))


def test_the_bond_returns_have_the_funds_volatility_and_market_correlation(
    universe: SimulatedUniverse,
) -> None:
    """Simulated days on the trend at the market's long-run variance: the sample volatility and
    the correlation with the market factor match the fund's parameters."""
    bond = BondModel(AGG, FactorModel(universe.params, universe.sector_vol))
    variance = bond.equities.garch.long_run_variance
    days = 6_000
    market = math.sqrt(variance) * unit_student_t(np.random.default_rng(5), 6.0, days)
    drift = (AGG.trend_growth + AGG.distribution.annual_yield) / 365.25
    returns = np.array(
        [bond.log_return(generator(SEED, Stream.BOND, k), 1, 0.0, float(market[k])) for k in range(days)]
    )
    assert returns.mean() == pytest.approx(drift, abs=3 * AGG.annual_vol / math.sqrt(252 * days))
    assert returns.std() * math.sqrt(252) == pytest.approx(AGG.annual_vol, rel=0.05)
    assert np.corrcoef(returns, market)[0, 1] == pytest.approx(AGG.equity_correlation, abs=0.04)


def test_agg_ticks_at_its_volatility_and_slightly_against_the_index(market: SimulatedMarket) -> None:
    equities = [i.symbol for i in market.instruments if i.asset_class == AssetClass.EQUITY]
    prices = {**dict.fromkeys(equities, 100.0), "^GSPC": 5_000.0, "AGG": 100.0}
    dt = 60.0
    moves = np.array(
        [
            [math.log(moved["AGG"] / 100.0), math.log(moved["^GSPC"] / 5_000.0)]
            for moved in (market.tick(prices, dt, n) for n in range(2_000))
        ]
    )
    expected = AGG.annual_vol * math.sqrt(dt / 23_400 / 252)
    assert moves[:, 0].std() == pytest.approx(expected, rel=0.1)
    assert abs(moves[:, 0].mean()) < 3 * expected / math.sqrt(len(moves))
    assert -0.25 < np.corrcoef(moves.T)[0, 1] < 0.05
