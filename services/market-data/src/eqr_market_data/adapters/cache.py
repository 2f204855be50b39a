"""Redis-backed caches of quotes, history slices and the market snapshot (protobuf-encoded)."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from eqr.market_data.v1 import events_pb2, resources_pb2
from eqr_market_data.app.ports import CloseSlice, PackedBars, PackedCloses
from eqr_market_data.domain.market import MarketSnapshot
from eqr_market_data.domain.model import Bar, Interval, Quote
from eqr_market_data.wire import (
    pack_bars,
    pack_closes,
    quote_from_pb,
    quote_to_pb,
    read_packed,
    read_packed_closes,
    snapshot_from_pb,
    snapshot_to_pb,
    unpack_bars,
)
from eqr_platform.cache import RedisCache


class RedisQuoteCache:
    def __init__(self, redis: Redis, *, ttl_ms: int) -> None:
        self._cache = RedisCache(redis, "quotes", prefix="eqr:market-data:quote", ttl_ms=ttl_ms)

    async def get_many(self, symbols: Sequence[str]) -> dict[str, Quote]:
        values = await self._cache.get_many(symbols)
        return {
            symbol: quote_from_pb(resources_pb2.Quote.FromString(value))
            for symbol, value in zip(symbols, values, strict=True)
            if value is not None
        }

    async def put_many(self, quotes: Sequence[Quote]) -> None:
        await self._cache.set_many({quote.symbol: quote_to_pb(quote).SerializeToString() for quote in quotes})


EMPTY_CLOSES_TTL_SECONDS = 30
"""An empty slice (the days since the last stored bar, before the next one is stored) is kept
this long: new bars move the symbol to a new generation anyway, this bounds the rest (bars a
source has but nobody stored yet)."""


class RedisHistoryCache:
    """Packed history and closes slices under a per-symbol generation: new data bumps the
    generation, so every older slice of that symbol stops being found and simply expires."""

    def __init__(
        self, redis: Redis, *, ttl_seconds: int, empty_ttl_seconds: int = EMPTY_CLOSES_TTL_SECONDS
    ) -> None:
        self._redis = redis
        self._cache = RedisCache(
            redis, "history", prefix="eqr:market-data:history", ttl_ms=ttl_seconds * 1000
        )
        self._closes = RedisCache(redis, "closes", prefix="eqr:market-data:closes", ttl_ms=ttl_seconds * 1000)
        self._empty_ttl_ms = empty_ttl_seconds * 1000

    def _generation_key(self, symbol: str) -> str:
        return f"eqr:market-data:history-generation:{symbol}"

    async def _slice_key(self, symbol: str, key: str) -> str:
        generation = await self._redis.get(self._generation_key(symbol))
        return f"{symbol}:{int(generation or 0)}:{key}"

    async def get(self, symbol: str, key: str) -> PackedBars | None:
        [value] = await self._cache.get_many([await self._slice_key(symbol, key)])
        return None if value is None else read_packed(value)

    async def put(self, symbol: str, key: str, bars: Sequence[Bar]) -> PackedBars:
        packed = pack_bars(bars)
        if bars:
            await self._cache.set_many({await self._slice_key(symbol, key): packed.data})
        return packed

    def unpack(self, symbol: str, interval: Interval, packed: PackedBars) -> list[Bar]:
        return unpack_bars(symbol, interval, packed)

    async def invalidate(self, symbol: str) -> None:
        await self._redis.incr(self._generation_key(symbol))

    async def revisions(self, symbols: Sequence[str]) -> list[int]:
        if not symbols:
            return []
        generations = await self._redis.mget([self._generation_key(s) for s in symbols])
        return [int(g or 0) for g in generations]

    async def get_closes(self, slices: Sequence[CloseSlice]) -> list[PackedCloses | None]:
        values = await self._closes.get_many([f"{s.symbol}:{s.revision}:{s.key}" for s in slices])
        return [None if value is None else read_packed_closes(value) for value in values]

    async def put_closes(self, slices: Sequence[tuple[CloseSlice, Sequence[Bar]]]) -> list[PackedCloses]:
        packed = [pack_closes(bars) for _, bars in slices]
        keys = [f"{s.symbol}:{s.revision}:{s.key}" for s, _ in slices]
        await self._closes.set_many({k: p.data for k, p in zip(keys, packed, strict=True) if p.last_day})
        await self._closes.set_many(
            {k: p.data for k, p in zip(keys, packed, strict=True) if not p.last_day},
            ttl_ms=self._empty_ttl_ms,
        )
        return packed


class RedisOverviewCache:
    """The market snapshot, replaced whenever it is recomputed and dropped after ``ttl_ms``."""

    _KEY = "snapshot"

    def __init__(self, redis: Redis, *, ttl_ms: int) -> None:
        self._cache = RedisCache(redis, "overview", prefix="eqr:market-data:overview", ttl_ms=ttl_ms)

    async def get(self) -> MarketSnapshot | None:
        [value] = await self._cache.get_many([self._KEY])
        return None if value is None else snapshot_from_pb(events_pb2.MarketUpdated.FromString(value))

    async def put(self, snapshot: MarketSnapshot) -> None:
        await self._cache.set_many({self._KEY: snapshot_to_pb(snapshot).SerializeToString()})


class RedisRefreshMarks:
    """``RefreshMarks`` as Redis keys with a TTL (``SET NX PX`` claims one atomically)."""

    def __init__(self, redis: Redis, *, prefix: str = "eqr:market-data:refreshed") -> None:
        self._redis = redis
        self._prefix = prefix

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        return bool(await self._redis.set(f"{self._prefix}:{key}", b"1", px=_ms(ttl_seconds), nx=True))

    async def hold(self, key: str, ttl_seconds: float) -> None:
        await self._redis.set(f"{self._prefix}:{key}", b"1", px=_ms(ttl_seconds))


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
