"""The Redis quote cache: hits skip the service, misses are fetched once per symbol at a time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest
import redis.asyncio as redis

from eqr_gateway.quote_cache import entry_quote, quote_cache_key


@pytest.fixture
def viewer(sign_in: Callable[..., Any]) -> Any:
    return sign_in()


@pytest.fixture
def new_symbol(fake_market: Any) -> Callable[[], str]:
    """A symbol no earlier test has read (the cache lives in the session's Redis)."""
    return lambda: fake_market.add_instrument(f"Q{uuid.uuid4().hex[:8].upper()}")


async def test_a_second_read_within_the_ttl_does_not_reach_the_service(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, new_symbol: Callable[[], str]
) -> None:
    symbol = new_symbol()
    calls = fake_market.count("BatchGetQuotes")
    first = await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
    second = await client.get(f"/api/v1/stocks/{symbol.lower()}/quote", headers=viewer.headers)
    batch = await client.get(f"/api/v1/stocks/quotes?symbols={symbol}", headers=viewer.headers)
    detail = await client.get(f"/api/v1/stocks/{symbol}", headers=viewer.headers)
    assert first.status_code == second.status_code == batch.status_code == detail.status_code == 200
    assert second.content == first.content
    assert batch.json()["quotes"] == [first.json()]
    assert detail.json()["quote"] == first.json()
    assert fake_market.count("BatchGetQuotes") == calls + 1
    assert list(fake_market.last("BatchGetQuotes").request.symbols) == [symbol]


async def test_the_entry_is_the_response_and_expires_with_the_ttl(
    client: httpx.AsyncClient, viewer: Any, new_symbol: Callable[[], str], redis_url: str
) -> None:
    symbol = new_symbol()
    response = await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
    store = redis.Redis.from_url(redis_url)
    try:
        entry = await store.get(quote_cache_key(symbol))
        assert isinstance(entry, bytes)
        assert entry_quote(entry) == response.content
        assert 0 < await store.pttl(quote_cache_key(symbol)) <= 500
    finally:
        await store.aclose()


async def test_after_the_ttl_the_service_is_asked_again(
    make_gateway: Callable[..., Any], viewer: Any, fake_market: Any, new_symbol: Callable[[], str]
) -> None:
    symbol = new_symbol()
    async with make_gateway(quote_cache_ttl_ms=50) as (_, client):
        calls = fake_market.count("BatchGetQuotes")
        await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
        await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
        assert fake_market.count("BatchGetQuotes") == calls + 1
        await asyncio.sleep(0.1)
        await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
        assert fake_market.count("BatchGetQuotes") == calls + 2


async def test_a_read_late_in_the_ttl_is_served_at_once_and_refreshes_the_entry_once(
    make_gateway: Callable[..., Any],
    viewer: Any,
    fake_market: Any,
    new_symbol: Callable[[], str],
    redis_url: str,
) -> None:
    symbol = new_symbol()
    store = redis.Redis.from_url(redis_url)
    async with make_gateway(quote_cache_ttl_ms=600) as (_, client):
        first = await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
        calls = fake_market.count("BatchGetQuotes")
        await asyncio.sleep(0.35)  # past half the TTL, before its end
        gate = fake_market.hold("BatchGetQuotes")
        # The service is held: these answer from the cache, and only the first starts a refresh.
        late = [await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers) for _ in range(5)]
        assert all(response.content == first.content for response in late)
        await asyncio.wait_for(gate.arrived.wait(), 1)
        assert fake_market.count("BatchGetQuotes") == calls + 1
        gate.release.set()
        for _ in range(50):
            if await store.pttl(quote_cache_key(symbol)) > 400:
                break
            await asyncio.sleep(0.01)
        assert await store.pttl(quote_cache_key(symbol)) > 400  # rewritten by the refresh
        assert fake_market.count("BatchGetQuotes") == calls + 1
    await store.aclose()


async def test_a_read_early_in_the_ttl_does_not_refresh(
    make_gateway: Callable[..., Any], viewer: Any, fake_market: Any, new_symbol: Callable[[], str]
) -> None:
    symbol = new_symbol()
    async with make_gateway(quote_cache_ttl_ms=2000) as (_, client):
        await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
        calls = fake_market.count("BatchGetQuotes")
        for _ in range(5):
            await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
        await asyncio.sleep(0.05)
        assert fake_market.count("BatchGetQuotes") == calls


async def test_a_batch_fetches_only_its_misses_in_one_call(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, new_symbol: Callable[[], str]
) -> None:
    cached, missing = new_symbol(), new_symbol()
    await client.get(f"/api/v1/stocks/{cached}/quote", headers=viewer.headers)
    calls = fake_market.count("BatchGetQuotes")
    response = await client.get(
        f"/api/v1/stocks/quotes?symbols={cached},{missing},NOPE{missing}", headers=viewer.headers
    )
    assert [quote["symbol"] for quote in response.json()["quotes"]] == [cached, missing]
    assert fake_market.count("BatchGetQuotes") == calls + 1
    assert list(fake_market.last("BatchGetQuotes").request.symbols) == [missing, f"NOPE{missing}"]


async def test_unknown_symbols_are_cached_too(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, problem: Any
) -> None:
    symbol = f"NOPE{uuid.uuid4().hex[:6].upper()}"
    calls = fake_market.count("BatchGetQuotes")
    for _ in range(3):
        problem(await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers), 404)
    body = (await client.get(f"/api/v1/stocks/quotes?symbols={symbol}", headers=viewer.headers)).json()
    assert body == {"quotes": [], "unknown_symbols": [symbol]}
    assert fake_market.count("BatchGetQuotes") == calls + 1


async def test_single_flight_under_concurrency(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, new_symbol: Callable[[], str]
) -> None:
    first, second = new_symbol(), new_symbol()
    calls = fake_market.count("BatchGetQuotes")
    gate = fake_market.hold("BatchGetQuotes")
    leader = asyncio.create_task(client.get(f"/api/v1/stocks/{first}/quote", headers=viewer.headers))
    await gate.arrived.wait()
    second_gate = fake_market.hold("BatchGetQuotes")  # holds the next call: the one fetching `second`
    singles = [client.get(f"/api/v1/stocks/{first}/quote", headers=viewer.headers) for _ in range(30)]
    batches = [
        client.get(f"/api/v1/stocks/quotes?symbols={first},{second}", headers=viewer.headers)
        for _ in range(10)
    ]
    followers = asyncio.gather(*singles, *batches)
    await second_gate.arrived.wait()
    await asyncio.sleep(0.05)
    gate.release.set()
    second_gate.release.set()
    responses = [await leader, *await followers]
    assert {response.status_code for response in responses} == {200}
    assert fake_market.count("BatchGetQuotes") == calls + 2
    asked = [list(call.request.symbols) for call in fake_market.calls if call.method == "BatchGetQuotes"][-2:]
    assert asked == [[first], [second]]
    assert all(response.json()["symbol"] == first for response in responses[:31])
    assert all([q["symbol"] for q in r.json()["quotes"]] == [first, second] for r in responses[31:])


async def test_a_failed_fetch_reaches_every_waiter_and_is_not_cached(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, new_symbol: Callable[[], str], problem: Any
) -> None:
    symbol = new_symbol()
    calls = fake_market.count("BatchGetQuotes")
    gate = fake_market.hold("BatchGetQuotes")
    fake_market.fail_next(
        "BatchGetQuotes", grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down", retry_after_seconds=2
    )
    reads = asyncio.gather(
        *(client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers) for _ in range(10))
    )
    await gate.arrived.wait()
    await asyncio.sleep(0.05)
    gate.release.set()
    for response in await reads:
        problem(response, 429)
        assert response.headers["retry-after"] == "2"
    assert fake_market.count("BatchGetQuotes") == calls + 1
    fake_market.gates.clear()
    assert (await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)).status_code == 200
    assert fake_market.count("BatchGetQuotes") == calls + 2


async def test_a_client_going_away_does_not_fail_the_others(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, new_symbol: Callable[[], str]
) -> None:
    symbol = new_symbol()
    gate = fake_market.hold("BatchGetQuotes")
    leader = asyncio.create_task(client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers))
    await gate.arrived.wait()
    follower = asyncio.create_task(client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers))
    await asyncio.sleep(0.05)
    leader.cancel()
    gate.release.set()
    assert (await follower).status_code == 200
    with pytest.raises(asyncio.CancelledError):
        await leader


async def test_a_process_answers_from_its_own_copy_until_the_refresh_time(
    make_gateway: Callable[..., Any],
    viewer: Any,
    fake_market: Any,
    new_symbol: Callable[[], str],
    redis_url: str,
) -> None:
    symbol = new_symbol()
    store = redis.Redis.from_url(redis_url)
    async with make_gateway(quote_cache_ttl_ms=400) as (_, client):
        first = await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
        calls = fake_market.count("BatchGetQuotes")
        await store.delete(quote_cache_key(symbol))
        again = await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
        assert again.content == first.content, "served from this process's copy, without Redis"
        assert fake_market.count("BatchGetQuotes") == calls
        await asyncio.sleep(0.25)  # past the refresh time: Redis is asked, and it has nothing
        await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
        assert fake_market.count("BatchGetQuotes") == calls + 1
    await store.aclose()


async def test_hits_and_misses_are_counted_in_the_metrics(
    client: httpx.AsyncClient, viewer: Any, new_symbol: Callable[[], str]
) -> None:
    async def lookups(result: str) -> float:
        text = (await client.get("/metrics")).text
        line = f'cache_lookups_total{{cache="gateway-quotes",result="{result}"}} '
        return next((float(row.removeprefix(line)) for row in text.splitlines() if row.startswith(line)), 0.0)

    hits, misses = await lookups("hit"), await lookups("miss")
    symbol = new_symbol()
    for _ in range(3):
        assert (await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)).status_code == 200
    assert (await lookups("hit"), await lookups("miss")) == (hits + 2, misses + 1)
