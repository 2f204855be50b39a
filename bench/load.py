"""Load generators: open loop (a fixed schedule) and closed loop (as fast as answers come).

``send`` performs one request and returns its HTTP status.

Latency is measured from each request's *scheduled* start, so a stall shows up in the
percentiles instead of silently lowering the request rate (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class LatencyResult:
    name: str
    rate: float
    requests: int
    errors: int
    error_statuses: dict[int, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    def _errors(self) -> str:
        by_status = ", ".join(f"{n}x{status}" for status, n in sorted(self.error_statuses.items()))
        return f"{self.errors} ({by_status})" if self.errors else "0"

    def row(self) -> str:
        return (
            f"| {self.name} | {self.rate:.0f} | {self.requests} | {self._errors()} | "
            f"{self.p50_ms:.2f} | {self.p95_ms:.2f} | {self.p99_ms:.2f} | {self.max_ms:.2f} |"
        )


async def closed_loop(send: Callable[[], Awaitable[int]], *, clients: int, seconds: float) -> float:
    """The sustained rate of ``clients`` callers that each send as soon as the last answer came."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            status = await send()
            if status >= 400:
                raise RuntimeError(f"HTTP {status} under load")
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(clients)))
    return done / (time.perf_counter() - started)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The load generator's own garbage collections (50 ms for a full one) would delay the
    requests scheduled meanwhile and be counted as the fleet's latency; a ten-second run
    allocates too little to need them."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def open_loop(
    name: str,
    send: Callable[[], Awaitable[int]],
    *,
    rate: float,
    seconds: float,
    warmup_seconds: float = 1.0,
) -> LatencyResult:
    latencies: list[float] = []
    errors: dict[int, int] = {}

    async def one(scheduled: float, record: bool) -> None:
        status = await send()
        if not record:
            return
        latencies.append((time.perf_counter() - scheduled) * 1000)
        if status >= 400:
            errors[status] = errors.get(status, 0) + 1

    tasks = []
    with _collector_paused():
        start = time.perf_counter() + 0.05
        total = int((warmup_seconds + seconds) * rate)
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(scheduled, record=i >= warmup_seconds * rate)))
        await asyncio.gather(*tasks)
    return LatencyResult(
        name=name,
        rate=rate,
        requests=len(latencies),
        errors=sum(errors.values()),
        error_statuses=errors,
        p50_ms=statistics.median(latencies),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies),
    )
