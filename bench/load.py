"""An open-loop load generator: requests leave on a fixed schedule, whatever the answers do.

Latency is measured from each request's *scheduled* start, so a stall shows up in the
percentiles instead of silently lowering the request rate (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class LatencyResult:
    name: str
    rate: float
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    def row(self) -> str:
        return (
            f"| {self.name} | {self.rate:.0f} | {self.requests} | {self.errors} | "
            f"{self.p50_ms:.2f} | {self.p95_ms:.2f} | {self.p99_ms:.2f} | {self.max_ms:.2f} |"
        )


async def closed_loop(
    send: Callable[[], Awaitable[httpx.Response]], *, clients: int, seconds: float
) -> float:
    """The sustained rate of ``clients`` callers that each send as soon as the last answer came."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            (await send()).raise_for_status()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(clients)))
    return done / (time.perf_counter() - started)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def open_loop(
    name: str,
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    rate: float,
    seconds: float,
    warmup_seconds: float = 1.0,
) -> LatencyResult:
    latencies: list[float] = []
    errors = 0

    async def one(scheduled: float, record: bool) -> None:
        nonlocal errors
        response = await send()
        if not record:
            return
        latencies.append((time.perf_counter() - scheduled) * 1000)
        if response.status_code >= 400:
            errors += 1

    tasks = []
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
        errors=errors,
        p50_ms=statistics.median(latencies),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies),
    )
