"""Redis caching with single-flight loading and hit-ratio metrics.

A miss runs the loader once per key per process however many callers ask at the same
time (single flight): a popular key expiring cannot stampede the source behind it.
Values are bytes; callers choose the encoding.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

from prometheus_client import Counter
from redis.asyncio import BlockingConnectionPool, Redis

CACHE_LOOKUPS = Counter("cache_lookups_total", "Cache lookups by cache and result", ["cache", "result"])

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """Concurrent calls for the same key share one execution of the loader.

    The loader runs as a task of its own, so a caller that stops waiting (its client went away,
    its deadline passed) does not cancel the load the others are waiting for.
    """

    def __init__(self) -> None:
        self._inflight: dict[K, asyncio.Task[V]] = {}

    async def do(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        task = self._inflight.get(key)
        if task is None:
            task = self._inflight[key] = asyncio.create_task(_run(load))
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
            task.add_done_callback(_mark_retrieved)
        return await asyncio.shield(task)


async def _run(load: Callable[[], Awaitable[V]]) -> V:
    return await load()


def _mark_retrieved(task: asyncio.Task[V]) -> None:
    """A failed load whose callers have all gone is not reported as "never retrieved"."""
    if not task.cancelled():
        task.exception()


class RedisCache:
    """One named cache in Redis: keys are ``<prefix>:<key>``, values bytes with a TTL."""

    def __init__(self, redis: Redis, name: str, *, prefix: str, ttl_ms: int) -> None:
        self._redis = redis
        self._name = name
        self._prefix = prefix
        self._ttl_ms = ttl_ms
        self._flights: SingleFlight[str, bytes] = SingleFlight()

    def key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        # The client is created without decode_responses, so values are bytes.
        values: list[bytes | None] = await self._redis.mget([self.key(k) for k in keys])  # type: ignore[assignment]
        for value in values:
            CACHE_LOOKUPS.labels(self._name, "miss" if value is None else "hit").inc()
        return values

    async def set_many(self, items: dict[str, bytes], *, ttl_ms: int | None = None) -> None:
        if not items:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, value in items.items():
                pipe.set(self.key(key), value, px=ttl_ms or self._ttl_ms)
            await pipe.execute()

    async def delete(self, keys: Sequence[str]) -> None:
        if keys:
            await self._redis.delete(*(self.key(k) for k in keys))

    async def get_or_load(self, key: str, load: Callable[[], Awaitable[bytes]]) -> bytes:
        [cached] = await self.get_many([key])
        if cached is not None:
            return cached

        async def load_and_store() -> bytes:
            value = await load()
            await self.set_many({key: value})
            return value

        return await self._flights.do(key, load_and_store)


def connect_redis(
    url: str, *, decode_responses: bool = False, pool_size: int = 64, timeout_seconds: float = 2.0
) -> Redis:
    """A client whose requests wait (up to ``timeout_seconds``) for a free connection when
    all ``pool_size`` are busy, instead of failing: a burst queues, it does not error."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=pool_size,
        timeout=timeout_seconds,
        decode_responses=decode_responses,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
    )
    return Redis.from_pool(pool)
