"""Simulated news: deterministic, sentiment in range, following big moves."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from eqr_market_data.domain.simulator import SimulatedMarket

DAY = date(2024, 6, 12)


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    return SimulatedMarket(42)


def test_news_is_deterministic_with_stable_ids(market: SimulatedMarket) -> None:
    returns = {"AAPL": 0.061, "XOM": -0.052, "^GSPC": 0.004}
    first = market.news(DAY, returns)
    assert first == market.news(DAY, returns)
    assert first == SimulatedMarket(42).news(DAY, returns)
    assert [n.id for n in first] != [n.id for n in SimulatedMarket(43).news(DAY, returns)]
    assert len({n.id for n in first}) == len(first)
    assert [n.published_at for n in first] == sorted((n.published_at for n in first), reverse=True)
    for item in first:
        assert -1.0 <= item.sentiment <= 1.0
        assert item.source == "simulated"
        assert item.published_at.date() == DAY
        assert item.headline


def test_big_moves_make_news_whose_sentiment_follows_the_move(market: SimulatedMarket) -> None:
    equities = [i.symbol for i in market.instruments if i.asset_class == "equity"]
    for offset in range(5):
        day = DAY + timedelta(days=offset)
        returns = {s: (0.05 + 0.01 * (n % 5)) * (1 if n % 2 else -1) for n, s in enumerate(equities)}
        news = market.news(day, returns)
        for symbol, change in returns.items():
            about = [n for n in news if n.symbols == (symbol,) and "shares" in n.headline]
            assert len(about) == 1
            assert about[0].sentiment * change > 0
            assert f"{100 * abs(change):.1f}%" in about[0].headline


def test_the_market_stream_follows_the_index(market: SimulatedMarket) -> None:
    for change in (0.025, -0.031):
        wrap = [n for n in market.news(DAY, {"^GSPC": change, "XLE": 3 * change}) if n.symbols == ("^GSPC",)]
        assert len(wrap) == 1
        assert wrap[0].sentiment * change > 0
        assert "S&P 500" in wrap[0].headline
    sector = [n for n in market.news(DAY, {"XLE": -0.03, "XLK": 0.01}) if n.symbols == ("XLE",)]
    assert sector[0].sentiment < 0
    assert "Energy" in sector[0].headline


def test_quiet_days_still_have_some_routine_news(market: SimulatedMarket) -> None:
    routine = [
        n
        for offset in range(10)
        for n in market.news(DAY + timedelta(days=offset), {})
        if n.symbols and n.symbols[0] not in {"^GSPC"}
    ]
    assert 10 < len(routine) < 150
    assert {n.sentiment > 0 for n in routine} == {True, False}
