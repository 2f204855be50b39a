"""Latest quotes: one per symbol, newer timestamps win, NaN bid/ask stored as NULL, UTC on the way out."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from eqr_market_data.adapters.db.store import SqlMarketStore
from eqr_market_data.domain.model import Quote, Source

NOON = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)


def _quote(symbol: str = "AAPL", price: float = 212.5, at: datetime = NOON, **changes: Any) -> Quote:
    quote = Quote(
        symbol=symbol,
        price=price,
        open=210.0,
        high=213.0,
        low=209.5,
        previous_close=209.0,
        volume=48_000_000,
        timestamp=at,
        source=Source.SIMULATED,
    )
    return replace(quote, **changes)


def _same(left: Quote, right: Quote) -> bool:
    return all(
        (a == b) or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
        for a, b in zip(vars(left).values(), vars(right).values(), strict=True)
    )


async def test_quotes_round_trip_with_missing_bid_and_ask(store: SqlMarketStore) -> None:
    without_book = _quote("AAPL")
    with_book = _quote("MSFT", 415.0, bid=414.9, ask=415.1, stale=True, source=Source.YAHOO)
    await store.save_quotes([without_book, with_book])

    stored = await store.latest_quotes()

    assert set(stored) == {"AAPL", "MSFT"}
    assert _same(stored["AAPL"], without_book)
    assert stored["MSFT"] == with_book


async def test_a_missing_bid_is_null_in_the_table(store: SqlMarketStore, market_engine: AsyncEngine) -> None:
    await store.save_quotes([_quote(ask=1.0)])

    async with market_engine.connect() as conn:
        row = (await conn.execute(text("SELECT bid, ask FROM market_data.latest_quotes"))).one()

    assert (row.bid, row.ask) == (None, 1.0)


async def test_a_newer_quote_replaces_the_stored_one(store: SqlMarketStore) -> None:
    await store.save_quotes([_quote(price=100.0)])
    newer = _quote(price=101.0, at=NOON + timedelta(seconds=1))

    await store.save_quotes([newer])

    assert (await store.latest_quotes())["AAPL"] == newer


async def test_an_older_or_equally_old_quote_is_ignored(store: SqlMarketStore) -> None:
    current = _quote(price=100.0)
    await store.save_quotes([current])

    await store.save_quotes([_quote(price=99.0, at=NOON - timedelta(minutes=5))])
    await store.save_quotes([_quote(price=98.0)])

    assert (await store.latest_quotes())["AAPL"] == current


async def test_the_newest_of_several_quotes_in_one_call_is_kept(store: SqlMarketStore) -> None:
    newest = _quote(price=3.0, at=NOON + timedelta(seconds=2))
    await store.save_quotes([_quote(price=1.0), newest, _quote(price=2.0, at=NOON + timedelta(seconds=1))])

    assert (await store.latest_quotes())["AAPL"] == newest


async def test_latest_quotes_of_some_symbols(store: SqlMarketStore) -> None:
    await store.save_quotes([_quote("AAPL"), _quote("MSFT"), _quote("BRK.B")])

    assert set(await store.latest_quotes(["BRK.B", "AAPL", "NOPE"])) == {"AAPL", "BRK.B"}
    assert await store.latest_quotes([]) == {}


async def test_many_symbols_at_once_take_one_parameter(store: SqlMarketStore) -> None:
    await store.save_quotes([_quote("AAPL")])

    found = await store.latest_quotes([f"S{i}" for i in range(10_000)] + ["AAPL"])

    assert list(found) == ["AAPL"]


@pytest.fixture
async def new_york_engine(market_data_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose sessions speak New York time, as a differently configured server would."""
    engine = create_async_engine(market_data_url, connect_args={"options": "-c TimeZone=America/New_York"})
    yield engine
    await engine.dispose()


async def test_timestamps_come_back_in_utc_whatever_the_session_time_zone(
    store: SqlMarketStore, new_york_engine: AsyncEngine
) -> None:
    tokyo = timezone(timedelta(hours=9))
    await store.save_quotes([_quote(at=NOON.astimezone(tokyo))])

    stored = (await SqlMarketStore(new_york_engine).latest_quotes())["AAPL"]

    assert stored.timestamp == NOON
    assert stored.timestamp.utcoffset() == timedelta(0)
