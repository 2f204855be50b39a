"""RedisCache against a real Redis: TTL, batch reads, single-flight loads."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from eqr_platform.cache import RedisCache, connect_redis


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def cache(redis: Redis) -> RedisCache:
    return RedisCache(redis, "test", prefix=f"test:{uuid.uuid4().hex}", ttl_ms=200)


async def test_values_expire_after_their_ttl(cache: RedisCache) -> None:
    await cache.set_many({"a": b"1", "b": b"2"})
    assert await cache.get_many(["a", "b", "c"]) == [b"1", b"2", None]
    await asyncio.sleep(0.3)
    assert await cache.get_many(["a", "b"]) == [None, None]


async def test_a_miss_loads_once_for_concurrent_callers(cache: RedisCache) -> None:
    loads = 0

    async def load() -> bytes:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.05)
        return b"fresh"

    results = await asyncio.gather(*(cache.get_or_load("k", load) for _ in range(20)))
    assert results == [b"fresh"] * 20
    assert loads == 1
    assert await cache.get_or_load("k", load) == b"fresh"
    assert loads == 1


async def test_delete_invalidates(cache: RedisCache) -> None:
    await cache.set_many({"a": b"1"})
    await cache.delete(["a"])
    assert await cache.get_many(["a"]) == [None]


async def test_a_burst_beyond_the_pool_waits_instead_of_failing(redis_url: str) -> None:
    client = connect_redis(redis_url, pool_size=2)
    try:
        results = await asyncio.gather(*(client.ping() for _ in range(50)))
    finally:
        await client.aclose()
    assert all(results)
