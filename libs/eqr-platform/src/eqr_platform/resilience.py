"""Resilience mechanics for calls to flaky or metered remote services.

Three independent pieces, each with an injectable clock (and sleep) so tests run on fake time:

- ``RateLimiter``: a token bucket, optionally with a per-day budget (UTC days), that either
  waits briefly for a token or refuses at once with ``RateLimitExceeded``;
- ``retry_async`` + ``RetryPolicy``: retries of the errors a predicate calls transient, with
  exponential backoff and full jitter;
- ``CircuitBreaker``: closed -> open after consecutive failures -> half-open after a cool-down
  (one trial call) -> closed on success or open again on failure.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")

Clock = Callable[[], float]
"""Seconds as a float; ``time.time`` by default so that daily budgets follow UTC days."""

Sleep = Callable[[float], Awaitable[None]]

SECONDS_PER_DAY = 86_400.0


class RateLimitExceeded(Exception):
    """No permit now; ``retry_after`` seconds until one is expected."""

    def __init__(self, retry_after: float, reason: str) -> None:
        super().__init__(f"{reason}; retry in {retry_after:.1f}s")
        self.retry_after = retry_after
        self.reason = reason


class RateLimiter:
    """A token bucket of ``rate`` permits per ``per`` seconds (``burst`` at most in the bucket).

    ``acquire`` waits up to ``max_wait`` seconds for a permit and otherwise raises
    ``RateLimitExceeded``. With ``daily_budget`` at most that many permits are granted per UTC
    day. ``pause`` and ``exhaust_daily_budget`` let the caller apply what the remote side said
    (a 429 with Retry-After, a "daily limit reached" message).
    """

    def __init__(
        self,
        rate: float,
        per: float = 1.0,
        *,
        burst: float | None = None,
        daily_budget: int | None = None,
        max_wait: float = 0.0,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0 or per <= 0:
            raise ValueError("rate and per must be positive")
        self._refill_per_second = rate / per
        self._capacity = float(burst if burst is not None else rate)
        if self._capacity < 1:
            raise ValueError("burst must allow at least one permit")
        self._daily_budget = daily_budget
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._tokens = self._capacity
        self._updated = clock()
        self._paused_until = 0.0
        self._day = self._day_of(self._updated)
        self._used_today = 0
        self._lock = asyncio.Lock()

    @property
    def remaining_today(self) -> int | None:
        """Permits left in today's budget (None without a daily budget)."""
        if self._daily_budget is None:
            return None
        self._roll_day(self._clock())
        return max(0, self._daily_budget - self._used_today)

    async def acquire(self) -> None:
        async with self._lock:
            wait, reason = self._wait_needed()
            if wait > self._max_wait:
                raise RateLimitExceeded(wait, reason)
            if wait > 0:
                await self._sleep(wait)
                wait, reason = self._wait_needed()
                if wait > 0:
                    raise RateLimitExceeded(wait, reason)
            self._tokens -= 1.0
            self._used_today += 1

    def pause(self, seconds: float) -> None:
        """Grant nothing for ``seconds`` from now (the remote side asked us to back off)."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def exhaust_daily_budget(self) -> None:
        """Treat today's budget as spent (the remote side says the daily quota is gone)."""
        now = self._clock()
        self._roll_day(now)
        if self._daily_budget is not None:
            self._used_today = self._daily_budget
        else:
            self.pause(self._seconds_to_next_day(now))

    def _wait_needed(self) -> tuple[float, str]:
        now = self._clock()
        self._refill(now)
        self._roll_day(now)
        if self._paused_until > now:
            return self._paused_until - now, "paused at the remote side's request"
        if self._daily_budget is not None and self._used_today >= self._daily_budget:
            return self._seconds_to_next_day(now), f"daily budget of {self._daily_budget} spent"
        if self._tokens < 1.0:
            return (1.0 - self._tokens) / self._refill_per_second, "rate limit reached"
        return 0.0, ""

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._refill_per_second)
        self._updated = now

    def _roll_day(self, now: float) -> None:
        day = self._day_of(now)
        if day != self._day:
            self._day = day
            self._used_today = 0

    @staticmethod
    def _day_of(now: float) -> int:
        return int(now // SECONDS_PER_DAY)

    def _seconds_to_next_day(self, now: float) -> float:
        return (self._day_of(now) + 1) * SECONDS_PER_DAY - now


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in total; before retry n (1-based) wait U(0, min(max, base * 2**(n-1)))."""

    attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 5.0

    def delay(self, retry_number: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        return rng.uniform(0.0, ceiling)


async def retry_async(
    operation: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    retryable: Callable[[Exception], bool],
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
    on_retry: Callable[[int, Exception, float], None] | None = None,
) -> T:
    """Runs ``operation``, retrying the errors ``retryable`` accepts; the last error propagates."""
    jitter = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    retry_number = 0
    while True:
        try:
            return await operation()
        except Exception as exc:
            retry_number += 1
            if retry_number >= policy.attempts or not retryable(exc):
                raise
            delay = policy.delay(retry_number, jitter)
            if on_retry is not None:
                on_retry(retry_number, exc, delay)
            await sleep(delay)


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpen(Exception):
    """The breaker is open: fail fast; ``retry_after`` seconds until a trial call is allowed."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"circuit open; next trial in {retry_after:.1f}s")
        self.retry_after = retry_after


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures; after ``cool_down`` seconds one
    trial call is let through (half-open): success closes the circuit, failure re-opens it."""

    def __init__(
        self, failure_threshold: int = 5, cool_down: float = 30.0, *, clock: Clock = time.monotonic
    ) -> None:
        if failure_threshold < 1 or cool_down < 0:
            raise ValueError("failure_threshold must be >= 1 and cool_down >= 0")
        self._threshold = failure_threshold
        self._cool_down = cool_down
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at >= self._cool_down:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    async def call(
        self,
        operation: Callable[[], Awaitable[T]],
        *,
        is_failure: Callable[[Exception], bool] = lambda _exc: True,
    ) -> T:
        """Runs ``operation`` through the breaker; errors ``is_failure`` rejects count as success
        (the remote side answered, just not with what we wanted)."""
        trial = self._admit()
        try:
            result = await operation()
        except Exception as exc:
            if is_failure(exc):
                self.record_failure()
            else:
                self.record_success()
            raise
        finally:
            if trial:
                self._trial_in_flight = False
        self.record_success()
        return result

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None

    def record_failure(self) -> None:
        self._failures += 1
        if self._opened_at is not None or self._failures >= self._threshold:
            self._opened_at = self._clock()

    def _admit(self) -> bool:
        """Raises ``CircuitOpen`` unless a call may go through; True for the half-open trial."""
        state = self.state
        if state is CircuitState.CLOSED:
            return False
        if state is CircuitState.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        assert self._opened_at is not None
        remaining = self._cool_down - (self._clock() - self._opened_at)
        raise CircuitOpen(max(0.0, remaining))
