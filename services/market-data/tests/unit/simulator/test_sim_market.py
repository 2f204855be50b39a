"""The facade over ten years of the whole universe: speed, bar shapes, benchmarks, levels."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from eqr_market_data.domain.adjustment import adjust_bars
from eqr_market_data.domain.errors import UnknownSymbol
from eqr_market_data.domain.market import is_sector_benchmark
from eqr_market_data.domain.model import ActionKind, AssetClass, Bar, CorporateAction, Interval
from eqr_market_data.domain.quality import QualityIssue, Severity
from eqr_market_data.domain.quality_checks import Check, QualityPolicy, check_bars
from eqr_market_data.domain.simulator import MarketState, SimulatedMarket
from eqr_market_data.domain.simulator.actions import SPLIT_RATIOS
from eqr_market_data.domain.simulator.companies import COMPANIES, DOW_MEMBERS

SEED = 42


def weekdays(start: date, end: date) -> list[date]:
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [d for d in days if d.weekday() < 5]


DAYS = weekdays(date(2015, 1, 1), date(2024, 12, 31))


Decade = tuple[list[Bar], list[CorporateAction], MarketState]
"""What ``SimulatedMarket.generate`` returns for ten years; its speed is measured in bench/."""


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    return SimulatedMarket(SEED)


@pytest.fixture(scope="module")
def decade(market: SimulatedMarket) -> Decade:
    return market.generate(DAYS)


@pytest.fixture(scope="module")
def closes(decade: Decade) -> dict[str, np.ndarray]:
    by_symbol: dict[str, list[float]] = defaultdict(list)
    for bar in decade[0]:
        by_symbol[bar.symbol].append(bar.close)
    return {symbol: np.array(values) for symbol, values in by_symbol.items()}


@pytest.fixture(scope="module")
def adjusted(
    market: SimulatedMarket,
    decade: Decade,
    closes: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Closes back-adjusted for splits only, i.e. in end-2024 shares (every split is earlier)."""
    position = {day: n for n, day in enumerate(DAYS)}
    result = {}
    for symbol, series in closes.items():
        factor = np.ones(len(series))
        for action in decade[1]:
            if action.symbol == symbol and action.kind == ActionKind.SPLIT:
                factor[: position[action.ex_date]] /= action.split_ratio
        result[symbol] = series * factor
    return result


def test_ten_years_of_the_whole_universe(market: SimulatedMarket, decade: Decade) -> None:
    bars, actions, state = decade
    assert len(bars) == len(DAYS) * len(market.instruments)
    assert state.day_index == (DAYS[-1] - date(2010, 1, 4)).days
    assert Counter(a.kind for a in actions)[ActionKind.DIVIDEND] > 3000


def test_the_universe_covers_every_sector_with_real_names(market: SimulatedMarket) -> None:
    instruments = market.instruments
    equities = [i for i in instruments if i.asset_class == AssetClass.EQUITY]
    etfs = [i for i in instruments if is_sector_benchmark(i)]
    assert len(equities) >= 100
    assert len({i.sector for i in equities}) == 11
    assert {i.sector for i in etfs} == {i.sector for i in equities}
    assert {i.symbol for i in etfs} == {
        "XLK",
        "XLF",
        "XLV",
        "XLE",
        "XLY",
        "XLP",
        "XLI",
        "XLB",
        "XLU",
        "XLRE",
        "XLC",
    }
    assert [i.symbol for i in instruments if i.asset_class == AssetClass.INDEX] == [
        "^GSPC",
        "^DJI",
        "^IXIC",
        "^RUT",
    ]
    for equity in equities:
        assert equity.exchange in {"NASDAQ", "NYSE"}
        assert (equity.currency, equity.country, equity.source) == ("USD", "US", "simulated")
        assert equity.industry
        assert equity.shares_outstanding > 10_000_000
    assert len({i.symbol for i in instruments}) == len(instruments)


def test_every_bar_is_consistent_and_positive(
    decade: Decade,
) -> None:
    bars = decade[0]
    prices = np.array([(b.open, b.high, b.low, b.close) for b in bars])
    open_, high, low, close = prices.T
    assert np.all(low > 0)
    assert np.all(high >= np.maximum(open_, close))
    assert np.all(low <= np.minimum(open_, close))
    assert np.all(np.array([b.volume for b in bars]) > 0)
    assert {(b.interval, b.source) for b in bars} == {(Interval.D1, "simulated")}
    assert {b.start.time() for b in bars} == {datetime.min.time()}
    assert {b.start.tzinfo for b in bars} == {UTC}


def test_the_same_seed_gives_the_same_market_and_another_seed_another(
    decade: Decade,
) -> None:
    bars = decade[0]
    again, _, _ = SimulatedMarket(SEED).generate(DAYS[:20])
    assert again == bars[: len(again)]
    other, _, _ = SimulatedMarket(SEED + 1).generate(DAYS[:20])
    assert [b.close for b in other] != [b.close for b in again]


def test_resuming_from_the_state_equals_one_go(market: SimulatedMarket, decade: Decade) -> None:
    bars, actions, _ = decade
    whole_bars, whole_actions, whole_state = market.generate(DAYS[:130])
    assert whole_bars == bars[: len(whole_bars)]
    assert whole_actions == [a for a in actions if a.ex_date <= DAYS[129]]
    first_bars, first_actions, middle = market.generate(DAYS[:70])
    rest_bars, rest_actions, end = market.generate(DAYS[70:130], middle)
    assert first_bars + rest_bars == whole_bars
    assert first_actions + rest_actions == whole_actions
    assert end == whole_state
    assert market.generate([], end) == ([], [], end)


def _weighted_value(adjusted: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    value = sum(weight * adjusted[symbol] for symbol, weight in weights.items())
    assert isinstance(value, np.ndarray)
    return value


def test_benchmarks_move_with_their_members(market: SimulatedMarket, adjusted: dict[str, np.ndarray]) -> None:
    """Each day's level is the previous one moved by its members' weighted return (to the cent)."""
    equities = {i.symbol: i for i in market.instruments if i.asset_class == AssetClass.EQUITY}
    caps = {symbol: float(i.shares_outstanding) for symbol, i in equities.items()}
    expectations = {
        "^GSPC": caps,
        "^DJI": dict.fromkeys(DOW_MEMBERS, 1.0),
        "^IXIC": {s: w for s, w in caps.items() if equities[s].exchange == "NASDAQ"},
        "XLK": {s: w for s, w in caps.items() if equities[s].sector == "Information Technology"},
        "XLE": {s: w for s, w in caps.items() if equities[s].sector == "Energy"},
    }
    for symbol, weights in expectations.items():
        level, members = adjusted[symbol], _weighted_value(adjusted, weights)
        expected = level[:-1] * members[1:] / members[:-1]
        assert np.max(np.abs(level[1:] - expected)) < 0.011, symbol
    small = adjusted["^RUT"][1:] / adjusted["^RUT"][:-1] - 1
    large = adjusted["^GSPC"][1:] / adjusted["^GSPC"][:-1] - 1
    assert 0.8 < np.corrcoef(small, large)[0, 1] < 0.99


def test_levels_and_market_caps_are_realistic_in_2024(
    market: SimulatedMarket, closes: dict[str, np.ndarray]
) -> None:
    year = np.array([d.year == 2024 for d in DAYS])
    assert 4_000 < np.median(closes["^GSPC"][year]) < 7_000
    assert 30_000 < np.median(closes["^DJI"][year]) < 50_000
    assert 13_000 < np.median(closes["^IXIC"][year]) < 24_000
    assert 1_500 < np.median(closes["^RUT"][year]) < 3_000
    for etf in ("XLK", "XLF", "XLV", "XLE", "XLY", "XLP", "XLI", "XLB", "XLU", "XLRE", "XLC"):
        assert 25 < np.median(closes[etf][year]) < 300, etf
    ratios = [closes[c.symbol][-1] / c.price_2024 for c in COMPANIES]
    assert 0.6 < np.median(ratios) < 1.6
    assert min(ratios) > 0.25
    assert max(ratios) < 4


def test_the_funds_over_a_decade_are_plausible_and_pass_the_quality_checks(
    decade: Decade, closes: dict[str, np.ndarray]
) -> None:
    bars, actions, _ = decade
    year = np.array([d.year == 2024 for d in DAYS])
    assert 80 < np.median(closes["AGG"][year]) < 115
    bond, stocks = np.diff(np.log(closes["AGG"])), np.diff(np.log(closes["SPY"]))
    assert 0.045 < bond.std() * np.sqrt(252) < 0.065
    assert 0.12 < stocks.std() * np.sqrt(252) < 0.3
    assert -0.25 < np.corrcoef(bond, stocks)[0, 1] < 0.05
    paid = Counter(a.symbol for a in actions if a.kind == ActionKind.DIVIDEND and a.ex_date.year == 2024)
    assert (paid["SPY"], paid["AGG"]) == (4, 12)
    for symbol in ("SPY", "AGG"):
        own = [b for b in bars if b.symbol == symbol]
        kept, issues = check_bars(
            own,
            expected_days=DAYS,
            actions=[a for a in actions if a.symbol == symbol],
            policy=QualityPolicy(flag_zero_volume=False),
        )
        assert kept == own
        assert all(issue.severity == Severity.FLAGGED for issue in issues)


def _day(issue: QualityIssue) -> date | None:
    return issue.observed_at.date() if issue.observed_at else None


def test_a_handful_of_names_split_and_raw_and_adjusted_history_agree_across_each(decade: Decade) -> None:
    bars, actions, _ = decade
    splits = [a for a in actions if a.kind == ActionKind.SPLIT]
    assert 3 <= len(splits) <= 20
    assert len({a.symbol for a in splits}) == len(splits)
    assert {a.split_ratio for a in splits} <= set(SPLIT_RATIOS)
    assert all(date(2016, 1, 1) <= a.ex_date <= date(2024, 11, 30) for a in splits)
    for split in splits:
        ratio, symbol = split.split_ratio, split.symbol
        own = [b for b in bars if b.symbol == symbol]
        own_actions = [a for a in actions if a.symbol == symbol]
        ex = [b.start.date() for b in own].index(split.ex_date)
        before, on = own[ex - 1], own[ex]
        # Raw: the price drops by the ratio overnight (the day's own move aside), the volume rises by it.
        assert 0.9 < on.open / (before.close / ratio) < 1.1, symbol
        assert before.close > 100, symbol  # a high price is what gets split
        volume_before = np.median([b.volume for b in own[max(0, ex - 40) : ex]])
        volume_after = np.median([b.volume for b in own[ex : ex + 40]])
        assert ratio / 2 < volume_after / volume_before < ratio * 2, symbol
        # Adjusted: continuous across the ex-date; before it, raw divided by the ratio (and the
        # dividends since), volumes times the ratio.
        adjusted = adjust_bars(own, own_actions)
        assert abs(np.log(adjusted[ex].close / adjusted[ex - 1].close)) < 0.15, symbol
        factor_before = adjusted[ex - 1].close / before.close
        factor_on = adjusted[ex].close / on.close
        assert factor_before / factor_on == pytest.approx(1 / ratio, rel=0.03), symbol
        assert adjusted[ex - 1].volume == pytest.approx(before.volume * ratio, abs=1)
        assert adjusted[ex].volume == on.volume
        adjusted_moves = np.abs(np.diff(np.log([b.close for b in adjusted])))
        assert adjusted_moves.max() < 0.25, symbol
        # The quality checks know a split from a crash only by its corporate action.
        _, issues = check_bars(own, expected_days=DAYS, actions=own_actions)
        assert not [i for i in issues if i.check == Check.OUTLIER_JUMP and _day(i) == split.ex_date]
        _, blind = check_bars(own, expected_days=DAYS, actions=[a for a in own_actions if a != split])
        assert [i for i in blind if i.check == Check.OUTLIER_JUMP and _day(i) == split.ex_date]


def test_volume_rises_with_the_size_of_the_move_and_of_the_company(
    closes: dict[str, np.ndarray], decade: Decade
) -> None:
    volumes = {
        s: np.array([b.volume for b in decade[0] if b.symbol == s], dtype=float) for s in ("KO", "MLM")
    }
    moves = np.abs(np.diff(np.log(closes["KO"])))
    assert np.corrcoef(moves, volumes["KO"][1:])[0, 1] > 0.3
    assert np.median(volumes["KO"]) > 10 * np.median(volumes["MLM"])


def test_the_facade_serves_ticks_minute_bars_statements_and_news(
    market: SimulatedMarket, decade: Decade
) -> None:
    bars, _, state = decade
    moved = market.tick(state.closes, 1.0, 1)
    assert set(moved) == set(state.closes)
    assert all(abs(np.log(moved[s] / state.closes[s])) < 0.05 for s in moved)
    assert moved == market.tick(state.closes, 1.0, 1)

    last = bars[-len(market.instruments)]
    session_open = datetime(2024, 12, 31, 14, 30, tzinfo=UTC)
    minute_bars = market.intraday_bars(last, session_open, session_open + timedelta(minutes=390))
    assert len(minute_bars) == 390
    assert sum(b.volume for b in minute_bars) == last.volume

    statements = market.fundamentals("AAPL", date(2025, 3, 1), state.closes["AAPL"])
    assert len(statements) == 22
    assert market.fundamentals("^GSPC", date(2025, 3, 1), 5000.0) == []
    with pytest.raises(UnknownSymbol):
        market.fundamentals("NOPE", date(2025, 3, 1), 1.0)
    assert market.news(date(2024, 12, 31), {"^GSPC": 0.02})
    with pytest.raises(ValueError, match="seed"):
        SimulatedMarket(-1)
