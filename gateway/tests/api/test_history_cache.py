"""The Redis history cache: one upstream call per window, as fresh as a quote when the window
reaches today, dropped by new bars otherwise."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import httpx
import pytest
import redis.asyncio as redis
from prometheus_client import REGISTRY

from eqr.market_data.v1 import events_pb2
from eqr_gateway.history_cache import BARS_IMPORTED_SUBJECT
from eqr_platform import bus

PAST = "from=2021-03-01&to=2021-06-30"


@pytest.fixture
def viewer(sign_in: Callable[..., Any]) -> Any:
    return sign_in()


@pytest.fixture
def new_symbol(fake_market: Any) -> Callable[[], str]:
    """A symbol no earlier test has read (the cache lives in the session's Redis)."""
    return lambda: fake_market.add_instrument(f"H{uuid.uuid4().hex[:8].upper()}")


@pytest.fixture(scope="session")
async def market_data_stream(nats_url: str) -> None:
    """The MARKET_DATA stream, as the market-data service declares it, so the bars feed can attach."""
    client, js = await bus.connect(nats_url, name="gateway-tests")
    await bus.ensure_streams(js, [bus.StreamSpec(name="MARKET_DATA", subjects=["eqr.market-data.bars.>"])])
    await client.close()


@pytest.fixture
async def publish_bars_imported(nats_url: str, market_data_stream: None) -> AsyncIterator[Callable[..., Any]]:
    client, js = await bus.connect(nats_url, name="gateway-tests")

    async def publish(symbol: str) -> None:
        await js.publish(
            BARS_IMPORTED_SUBJECT, events_pb2.BarsImported(symbol=symbol, bars=3).SerializeToString()
        )

    yield publish
    await client.close()


async def _generation(redis_url: str, symbol: str) -> int:
    store = redis.Redis.from_url(redis_url)
    try:
        return int(await store.get(f"eqr:gateway:history-generation:{symbol}") or 0)
    finally:
        await store.aclose()


async def _wait_for_generation(redis_url: str, symbol: str, at_least: int) -> None:
    for _ in range(200):
        if await _generation(redis_url, symbol) >= at_least:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the bars event for {symbol} was not handled")


async def test_a_repeated_chart_is_one_upstream_call_with_the_same_bytes(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, new_symbol: Callable[[], str]
) -> None:
    symbol = new_symbol()
    calls = fake_market.count("GetHistory")
    first = await client.get(f"/api/v1/stocks/{symbol}/history?range=10y", headers=viewer.headers)
    second = await client.get(f"/api/v1/stocks/{symbol.lower()}/history?range=10y", headers=viewer.headers)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert len(first.json()["bars"]) > 3000
    assert fake_market.count("GetHistory") == calls + 1


async def test_each_thing_a_reply_depends_on_is_its_own_entry(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, new_symbol: Callable[[], str]
) -> None:
    symbol = new_symbol()
    calls = fake_market.count("GetHistory")
    variants = [
        "range=1y",
        "range=1y&adjusted=true",
        "range=1y&interval=1wk",
        "range=2y",
        f"{PAST}",
        "from=2021-03-01&to=2021-07-01",
    ]
    for query in variants:
        assert (
            await client.get(f"/api/v1/stocks/{symbol}/history?{query}", headers=viewer.headers)
        ).is_success
    assert fake_market.count("GetHistory") == calls + len(variants)


async def test_a_window_reaching_today_is_kept_only_as_long_as_a_quote(
    make_gateway: Callable[..., Any], viewer: Any, fake_market: Any, new_symbol: Callable[[], str]
) -> None:
    symbol = new_symbol()
    async with make_gateway(quote_cache_ttl_ms=50) as (_, client):
        calls = fake_market.count("GetHistory")
        for query in ("range=5y", "from=2020-01-01"):
            await client.get(f"/api/v1/stocks/{symbol}/history?{query}", headers=viewer.headers)
            await client.get(f"/api/v1/stocks/{symbol}/history?{query}", headers=viewer.headers)
        assert fake_market.count("GetHistory") == calls + 2
        await asyncio.sleep(0.1)
        for query in ("range=5y", "from=2020-01-01"):
            await client.get(f"/api/v1/stocks/{symbol}/history?{query}", headers=viewer.headers)
        assert fake_market.count("GetHistory") == calls + 4


async def test_a_past_window_outlives_the_quote_ttl_until_new_bars_for_its_symbol_land(
    make_gateway: Callable[..., Any],
    viewer: Any,
    fake_market: Any,
    new_symbol: Callable[[], str],
    publish_bars_imported: Callable[..., Any],
    redis_url: str,
) -> None:
    symbol, other = new_symbol(), new_symbol()
    async with make_gateway(quote_cache_ttl_ms=50) as (_, client):
        calls = fake_market.count("GetHistory")
        first = await client.get(f"/api/v1/stocks/{symbol}/history?{PAST}", headers=viewer.headers)
        await asyncio.sleep(0.1)
        await client.get(f"/api/v1/stocks/{symbol}/history?{PAST}", headers=viewer.headers)
        assert fake_market.count("GetHistory") == calls + 1

        await publish_bars_imported(other)
        await _wait_for_generation(redis_url, other, 1)
        await client.get(f"/api/v1/stocks/{symbol}/history?{PAST}", headers=viewer.headers)
        assert fake_market.count("GetHistory") == calls + 1  # another symbol's bars change nothing here

        await publish_bars_imported(symbol)
        await _wait_for_generation(redis_url, symbol, 1)
        again = await client.get(f"/api/v1/stocks/{symbol}/history?{PAST}", headers=viewer.headers)
        assert fake_market.count("GetHistory") == calls + 2
        assert again.content == first.content


async def test_concurrent_misses_share_one_upstream_call(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, new_symbol: Callable[[], str]
) -> None:
    symbol = new_symbol()
    calls = fake_market.count("GetHistory")
    gate = fake_market.hold("GetHistory")
    reads = asyncio.gather(
        *(client.get(f"/api/v1/stocks/{symbol}/history?range=5y", headers=viewer.headers) for _ in range(10))
    )
    await gate.arrived.wait()
    await asyncio.sleep(0.05)
    gate.release.set()
    responses = await reads
    assert {response.status_code for response in responses} == {200}
    assert len({response.content for response in responses}) == 1
    assert fake_market.count("GetHistory") == calls + 1


async def test_a_failed_reply_is_not_cached(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, new_symbol: Callable[[], str], problem: Any
) -> None:
    symbol = new_symbol()
    calls = fake_market.count("GetHistory")
    fake_market.fail_next("GetHistory", grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down")
    problem(await client.get(f"/api/v1/stocks/{symbol}/history?{PAST}", headers=viewer.headers), 429)
    response = await client.get(f"/api/v1/stocks/{symbol}/history?{PAST}", headers=viewer.headers)
    assert response.status_code == 200
    assert fake_market.count("GetHistory") == calls + 2


async def test_hits_and_misses_are_counted_in_the_metrics(
    client: httpx.AsyncClient, viewer: Any, new_symbol: Callable[[], str]
) -> None:
    def lookups(result: str) -> float:
        value = REGISTRY.get_sample_value(
            "cache_lookups_total", {"cache": "gateway-history", "result": result}
        )
        return value or 0.0

    hits, misses = lookups("hit"), lookups("miss")
    url = f"/api/v1/stocks/{new_symbol()}/history?{PAST}"
    for _ in range(3):
        assert (await client.get(url, headers=viewer.headers)).status_code == 200
    assert (lookups("hit"), lookups("miss")) == (hits + 2, misses + 1)
