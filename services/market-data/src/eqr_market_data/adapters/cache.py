"""Redis-backed caches of quotes and history slices (protobuf-encoded)."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from eqr.market_data.v1 import resources_pb2
from eqr.market_data.v1.market_data_service_pb2 import GetHistoryResponse
from eqr_market_data.domain.model import Bar, Quote
from eqr_market_data.wire import (
    INTERVAL_TO_PB,
    PB_TO_INTERVAL,
    bar_to_pb,
    from_timestamp,
    quote_from_pb,
    quote_to_pb,
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


class RedisHistoryCache:
    """Stored history slices under a per-symbol generation: new data bumps the generation,
    so every older slice of that symbol stops being found and simply expires.

    A slice keeps one source name for all its bars (the first bar's)."""

    def __init__(self, redis: Redis, *, ttl_seconds: int) -> None:
        self._redis = redis
        self._cache = RedisCache(
            redis, "history", prefix="eqr:market-data:history", ttl_ms=ttl_seconds * 1000
        )

    def _generation_key(self, symbol: str) -> str:
        return f"eqr:market-data:history-generation:{symbol}"

    async def _slice_key(self, symbol: str, key: str) -> str:
        generation = await self._redis.get(self._generation_key(symbol))
        return f"{symbol}:{int(generation or 0)}:{key}"

    async def get(self, symbol: str, key: str) -> list[Bar] | None:
        [value] = await self._cache.get_many([await self._slice_key(symbol, key)])
        if value is None:
            return None
        message = GetHistoryResponse.FromString(value)
        interval = PB_TO_INTERVAL[message.interval]
        return [
            Bar(
                symbol=symbol,
                interval=interval,
                start=from_timestamp(bar.start),
                open=bar.open,
                high=bar.high,
                low=bar.low,
                close=bar.close,
                volume=bar.volume,
                source=message.source,
            )
            for bar in message.bars
        ]

    async def put(self, symbol: str, key: str, bars: Sequence[Bar]) -> None:
        if not bars:
            return
        message = GetHistoryResponse(
            symbol=symbol,
            interval=INTERVAL_TO_PB[bars[0].interval],
            bars=[bar_to_pb(bar) for bar in bars],
            source=bars[0].source,
        )
        await self._cache.set_many({await self._slice_key(symbol, key): message.SerializeToString()})

    async def invalidate(self, symbol: str) -> None:
        await self._redis.incr(self._generation_key(symbol))
