"""Rate limiter, retry with backoff and circuit breaker, all on a fake clock."""

from __future__ import annotations

import asyncio
import random

import pytest

from eqr_platform.resilience import (
    SECONDS_PER_DAY,
    CircuitBreaker,
    CircuitOpen,
    CircuitState,
    RateLimiter,
    RateLimitExceeded,
    RetryPolicy,
    retry_async,
)

# 2024-01-08 10:00:00 UTC, so the day boundary is 14 hours away.
START = 19_730 * SECONDS_PER_DAY + 10 * 3600


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class Flaky(Exception):
    pass


class Fatal(Exception):
    pass


# --- RateLimiter -------------------------------------------------------------------------


async def test_bucket_grants_the_burst_then_refuses_with_the_time_to_the_next_token(clock: FakeClock) -> None:
    limiter = RateLimiter(5, 60, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        await limiter.acquire()
    with pytest.raises(RateLimitExceeded) as refused:
        await limiter.acquire()
    assert refused.value.retry_after == pytest.approx(12.0)
    clock.now += 12.0
    await limiter.acquire()


async def test_bucket_waits_when_the_next_token_is_within_max_wait(clock: FakeClock) -> None:
    limiter = RateLimiter(2, 1, burst=1, max_wait=1.0, clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    await limiter.acquire()
    assert clock.sleeps == [pytest.approx(0.5)]


async def test_bucket_never_holds_more_than_its_burst(clock: FakeClock) -> None:
    limiter = RateLimiter(10, 1, burst=3, clock=clock, sleep=clock.sleep)
    clock.now += 3600
    for _ in range(3):
        await limiter.acquire()
    with pytest.raises(RateLimitExceeded):
        await limiter.acquire()


async def test_daily_budget_is_spent_until_the_next_utc_day(clock: FakeClock) -> None:
    limiter = RateLimiter(100, 1, daily_budget=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await limiter.acquire()
    assert limiter.remaining_today == 0
    with pytest.raises(RateLimitExceeded) as refused:
        await limiter.acquire()
    assert refused.value.retry_after == pytest.approx(14 * 3600)
    assert "daily budget of 3" in str(refused.value)
    clock.now += 14 * 3600
    assert limiter.remaining_today == 3
    await limiter.acquire()


async def test_pause_refuses_everything_until_it_ends(clock: FakeClock) -> None:
    limiter = RateLimiter(100, 1, clock=clock, sleep=clock.sleep)
    limiter.pause(30)
    with pytest.raises(RateLimitExceeded) as refused:
        await limiter.acquire()
    assert refused.value.retry_after == pytest.approx(30)
    clock.now += 30
    await limiter.acquire()


async def test_exhausting_the_daily_budget_blocks_until_tomorrow(clock: FakeClock) -> None:
    limiter = RateLimiter(5, 60, daily_budget=25, clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    limiter.exhaust_daily_budget()
    with pytest.raises(RateLimitExceeded) as refused:
        await limiter.acquire()
    assert refused.value.retry_after == pytest.approx(14 * 3600)


async def test_exhausting_a_limiter_without_a_budget_pauses_it_until_tomorrow(clock: FakeClock) -> None:
    limiter = RateLimiter(5, 60, clock=clock, sleep=clock.sleep)
    limiter.exhaust_daily_budget()
    with pytest.raises(RateLimitExceeded) as refused:
        await limiter.acquire()
    assert refused.value.retry_after == pytest.approx(14 * 3600)


async def test_a_clock_going_backwards_does_not_mint_tokens(clock: FakeClock) -> None:
    limiter = RateLimiter(1, 10, clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    clock.now -= 1000
    with pytest.raises(RateLimitExceeded):
        await limiter.acquire()


async def test_concurrent_waiters_are_served_one_token_at_a_time(clock: FakeClock) -> None:
    limiter = RateLimiter(1, 1, max_wait=10, clock=clock, sleep=clock.sleep)
    await asyncio.gather(*(limiter.acquire() for _ in range(4)))
    assert clock.sleeps == [pytest.approx(1.0)] * 3


def test_limiter_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0, 1)
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(1, 1, burst=0.5)


# --- retry_async ---------------------------------------------------------------------------


async def test_retry_returns_after_transient_failures_with_growing_capped_delays(clock: FakeClock) -> None:
    outcomes: list[Exception | str] = [Flaky(), Flaky(), Flaky(), "ok"]
    retries: list[int] = []

    async def operation() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = RetryPolicy(attempts=4, base_delay=1.0, max_delay=3.0)
    result = await retry_async(
        operation,
        policy=policy,
        retryable=lambda exc: isinstance(exc, Flaky),
        sleep=clock.sleep,
        rng=random.Random(7),
        on_retry=lambda n, _exc, _delay: retries.append(n),
    )
    assert result == "ok"
    assert retries == [1, 2, 3]
    for delay, ceiling in zip(clock.sleeps, [1.0, 2.0, 3.0], strict=True):
        assert 0.0 <= delay <= ceiling


async def test_retry_gives_up_after_the_last_attempt(clock: FakeClock) -> None:
    calls = 0

    async def operation() -> None:
        nonlocal calls
        calls += 1
        raise Flaky

    with pytest.raises(Flaky):
        await retry_async(
            operation, policy=RetryPolicy(attempts=3), retryable=lambda _e: True, sleep=clock.sleep
        )
    assert calls == 3
    assert len(clock.sleeps) == 2


async def test_retry_does_not_retry_what_the_predicate_rejects(clock: FakeClock) -> None:
    calls = 0

    async def operation() -> None:
        nonlocal calls
        calls += 1
        raise Fatal

    with pytest.raises(Fatal):
        await retry_async(
            operation, policy=RetryPolicy(), retryable=lambda exc: isinstance(exc, Flaky), sleep=clock.sleep
        )
    assert calls == 1
    assert clock.sleeps == []


def test_full_jitter_stays_within_the_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    rng = random.Random(1)
    for retry_number, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (10, 4.0)]:
        delays = [policy.delay(retry_number, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8


# --- CircuitBreaker --------------------------------------------------------------------------


async def _fail() -> None:
    raise Flaky


async def _succeed() -> str:
    return "ok"


async def test_breaker_opens_after_consecutive_failures_and_fails_fast(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, cool_down=30, clock=clock)
    for _ in range(3):
        with pytest.raises(Flaky):
            await breaker.call(_fail)
    assert breaker.state is CircuitState.OPEN
    calls = 0

    async def counted() -> None:
        nonlocal calls
        calls += 1

    clock.now += 10
    with pytest.raises(CircuitOpen) as rejected:
        await breaker.call(counted)
    assert calls == 0
    assert rejected.value.retry_after == pytest.approx(20)


async def test_a_success_resets_the_failure_count(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=2, clock=clock)
    with pytest.raises(Flaky):
        await breaker.call(_fail)
    await breaker.call(_succeed)
    with pytest.raises(Flaky):
        await breaker.call(_fail)
    assert breaker.state is CircuitState.CLOSED


async def test_half_open_trial_success_closes_the_circuit(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cool_down=30, clock=clock)
    with pytest.raises(Flaky):
        await breaker.call(_fail)
    clock.now += 30
    assert breaker.state is CircuitState.HALF_OPEN
    assert await breaker.call(_succeed) == "ok"
    assert breaker.state is CircuitState.CLOSED


async def test_half_open_trial_failure_reopens_for_a_fresh_cool_down(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cool_down=30, clock=clock)
    with pytest.raises(Flaky):
        await breaker.call(_fail)
    clock.now += 31
    with pytest.raises(Flaky):
        await breaker.call(_fail)
    assert breaker.state is CircuitState.OPEN
    clock.now += 29
    with pytest.raises(CircuitOpen):
        await breaker.call(_succeed)


async def test_half_open_lets_a_single_trial_through(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cool_down=5, clock=clock)
    with pytest.raises(Flaky):
        await breaker.call(_fail)
    clock.now += 5
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "trial"

    trial = asyncio.create_task(breaker.call(slow))
    await asyncio.sleep(0)
    with pytest.raises(CircuitOpen):
        await breaker.call(_succeed)
    release.set()
    assert await trial == "trial"
    assert breaker.state is CircuitState.CLOSED


async def test_errors_that_are_not_failures_keep_the_circuit_closed(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=clock)
    for _ in range(3):
        with pytest.raises(Fatal):
            await breaker.call(_raise_fatal, is_failure=lambda exc: isinstance(exc, Flaky))
    assert breaker.state is CircuitState.CLOSED


async def _raise_fatal() -> None:
    raise Fatal


def test_breaker_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        CircuitBreaker(failure_threshold=0)
