"""Benchmarks, movers and breadth from quotes, on hand-checked cases."""

from __future__ import annotations

from datetime import UTC, datetime

from eqr_market_data.domain.market import YearRange, breadth, mean_sentiment, snapshot
from eqr_market_data.domain.model import AssetClass, Instrument, Quote

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _instrument(
    symbol: str, asset_class: AssetClass = AssetClass.EQUITY, sector: str = "Energy"
) -> Instrument:
    return Instrument(symbol, symbol.title(), "NYSE", "USD", asset_class, sector=sector)


def _quote(
    symbol: str, price: float, previous: float, volume: int = 1000, high: float = 0, low: float = 0
) -> Quote:
    return Quote(
        symbol,
        price,
        previous,
        high or max(price, previous),
        low or min(price, previous),
        previous,
        volume,
        NOW,
        "simulated",
    )


UNIVERSE = [
    _instrument("^GSPC", AssetClass.INDEX, sector=""),
    _instrument("XLE", AssetClass.ETF),
    _instrument("UP"),
    _instrument("DOWN"),
    _instrument("FLAT"),
    _instrument("BUSY"),
]
QUOTES = {
    "^GSPC": _quote("^GSPC", 5010, 5000),
    "XLE": _quote("XLE", 90, 91),
    "UP": _quote("UP", 110, 100, volume=10),  # +10 %
    "DOWN": _quote("DOWN", 95, 100, volume=20),  # -5 %
    "FLAT": _quote("FLAT", 50, 50, volume=30),
    "BUSY": _quote("BUSY", 101, 100, volume=10_000),  # +1 %
}


def test_benchmarks_movers_and_breadth() -> None:
    market = snapshot(UNIVERSE, QUOTES, {}, as_of=NOW, movers=2)
    assert [i.symbol for i, _ in market.indices] == ["^GSPC"]
    assert [i.symbol for i, _ in market.sectors] == ["XLE"]
    assert [i.symbol for i, _ in market.gainers] == ["UP", "BUSY"]
    assert [i.symbol for i, _ in market.losers] == ["DOWN"]
    assert [i.symbol for i, _ in market.most_active] == ["BUSY", "FLAT"]
    assert (market.breadth.advancers, market.breadth.decliners, market.breadth.unchanged) == (2, 1, 1)


def test_new_highs_and_lows_compare_with_the_past_year() -> None:
    pairs = [(i, QUOTES[i.symbol]) for i in UNIVERSE if i.asset_class == AssetClass.EQUITY]
    ranges = {
        "UP": YearRange(high=105, low=80),
        "DOWN": YearRange(high=120, low=96),
        "FLAT": YearRange(60, 40),
    }
    result = breadth(pairs, ranges)
    assert (result.new_highs, result.new_lows) == (1, 1)


def test_symbols_without_quotes_are_left_out() -> None:
    market = snapshot(UNIVERSE, {"UP": QUOTES["UP"]}, {}, as_of=NOW)
    assert market.indices == []
    assert [i.symbol for i, _ in market.gainers] == ["UP"]


def test_mean_sentiment() -> None:
    assert mean_sentiment([]) == 0.0
    assert mean_sentiment([0.5, -0.25, 0.25]) == 0.5 / 3
