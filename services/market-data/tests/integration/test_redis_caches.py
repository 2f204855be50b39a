"""The Redis caches of history slices and of the market snapshot, on real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from redis.asyncio import Redis

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr_market_data.adapters.cache import RedisHistoryCache, RedisOverviewCache
from eqr_market_data.app.ports import CloseSlice
from eqr_market_data.domain.market import MarketSnapshot
from eqr_market_data.domain.model import AssetClass, Bar, Breadth, Instrument, Interval, Quote
from eqr_platform.cache import connect_redis

NOW = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = connect_redis(redis_url)
    yield client
    await client.aclose()


def _bars(symbol: str, days: int) -> list[Bar]:
    first = date(2016, 1, 4)
    return [
        Bar(
            symbol,
            Interval.D1,
            datetime.combine(first + timedelta(days=i), datetime.min.time(), tzinfo=UTC),
            10.0 + i,
            11.0 + i,
            9.0 + i,
            10.5 + i,
            1000 + i,
            "simulated" if i < days - 1 else "import",
        )
        for i in range(days)
    ]


async def test_a_slice_comes_back_packed_as_put_until_the_symbol_gets_new_bars(redis: Redis) -> None:
    cache = RedisHistoryCache(redis, ttl_seconds=60)
    symbol = f"T{uuid.uuid4().hex[:6].upper()}"
    bars = _bars(symbol, 2514)
    put = await cache.put(symbol, "k", bars)
    got = await cache.get(symbol, "k")
    assert got == put
    assert (got.last_day, got.source) == (bars[-1].start.date(), "simulated,import")
    unpacked = cache.unpack(symbol, Interval.D1, got)
    assert [(b.start, b.open, b.high, b.low, b.close, b.volume) for b in unpacked] == [
        (b.start, b.open, b.high, b.low, b.close, b.volume) for b in bars
    ]
    await cache.invalidate(symbol)
    assert await cache.get(symbol, "k") is None


async def test_an_empty_slice_is_not_kept(redis: Redis) -> None:
    cache = RedisHistoryCache(redis, ttl_seconds=60)
    symbol = f"T{uuid.uuid4().hex[:6].upper()}"
    packed = await cache.put(symbol, "k", [])
    assert packed.last_day is None
    assert await cache.get(symbol, "k") is None


async def test_closes_come_back_as_put_under_their_revision_and_new_bars_move_it(redis: Redis) -> None:
    cache = RedisHistoryCache(redis, ttl_seconds=60)
    symbol = f"T{uuid.uuid4().hex[:6].upper()}"
    bars = _bars(symbol, 2514)
    [revision] = await cache.revisions([symbol])
    where = CloseSlice(symbol, revision, "k")
    [put] = await cache.put_closes([(where, bars)])
    assert await cache.get_closes([where, CloseSlice(symbol, revision, "other")]) == [put, None]
    message = pb.DailyCloses.FromString(put.data)
    assert [date(1970, 1, 1) + timedelta(days=d) for d in message.days] == [b.start.date() for b in bars]
    assert list(message.closes) == [b.close for b in bars]
    assert put.last_day == bars[-1].start.date()
    await cache.invalidate(symbol)
    assert await cache.revisions([symbol]) == [revision + 1]


async def test_an_empty_closes_slice_is_kept_only_briefly(redis: Redis) -> None:
    cache = RedisHistoryCache(redis, ttl_seconds=60, empty_ttl_seconds=1)
    symbol = f"T{uuid.uuid4().hex[:6].upper()}"
    where = CloseSlice(symbol, 0, "k")
    [empty] = await cache.put_closes([(where, [])])
    assert empty.last_day is None
    assert await cache.get_closes([where]) == [empty]
    await asyncio.sleep(1.2)
    assert await cache.get_closes([where]) == [None]


async def test_the_snapshot_is_replaced_and_expires(redis: Redis) -> None:
    cache = RedisOverviewCache(redis, ttl_ms=150)
    index = Instrument("^GSPC", "S&P 500", "INDEX", "USD", AssetClass.INDEX, country="")
    quote = Quote("^GSPC", 5010.0, 5000.0, 5020.0, 4990.0, 5000.0, 0, NOW, "simulated", 5009.0, 5011.0)
    first = MarketSnapshot(as_of=NOW, indices=[(index, quote)], breadth=Breadth(advancers=3, decliners=1))
    second = MarketSnapshot(as_of=NOW + timedelta(seconds=1), breadth=Breadth(unchanged=4))
    await cache.put(first)
    assert await cache.get() == first
    await cache.put(second)
    assert await cache.get() == second
    await asyncio.sleep(0.2)
    assert await cache.get() is None
