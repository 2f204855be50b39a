from __future__ import annotations

import asyncio

import pytest

from eqr_platform.cache import SingleFlight


async def test_concurrent_callers_share_one_load() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    calls = 0
    release = asyncio.Event()

    async def load() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return 42

    waiters = [asyncio.create_task(flights.do("k", load)) for _ in range(50)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiters) == [42] * 50
    assert calls == 1


async def test_a_failure_reaches_every_waiter_and_the_next_call_retries() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    release = asyncio.Event()

    async def failing() -> int:
        await release.wait()
        raise ConnectionError("source down")

    waiters = [asyncio.create_task(flights.do("k", failing)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)

    async def working() -> int:
        return 7

    assert await flights.do("k", working) == 7


async def test_different_keys_load_independently() -> None:
    flights: SingleFlight[str, str] = SingleFlight()

    async def load(value: str) -> str:
        await asyncio.sleep(0)
        return value

    a, b = await asyncio.gather(flights.do("a", lambda: load("A")), flights.do("b", lambda: load("B")))
    assert (a, b) == ("A", "B")


@pytest.mark.parametrize("cancelled_first", [True])
async def test_a_cancelled_waiter_does_not_cancel_the_load(cancelled_first: bool) -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    release = asyncio.Event()

    async def load() -> int:
        await release.wait()
        return 1

    first = asyncio.create_task(flights.do("k", load))
    await asyncio.sleep(0)
    second = asyncio.create_task(flights.do("k", load))
    await asyncio.sleep(0)
    second.cancel()
    release.set()
    assert await first == 1


async def test_the_first_caller_going_away_does_not_fail_the_others() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    release = asyncio.Event()
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return 5

    leader = asyncio.create_task(flights.do("k", load))
    await asyncio.sleep(0)
    followers = [asyncio.create_task(flights.do("k", load)) for _ in range(3)]
    await asyncio.sleep(0)
    leader.cancel()
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*followers) == [5, 5, 5]
    assert calls == 1
    with pytest.raises(asyncio.CancelledError):
        await leader
