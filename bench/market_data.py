"""Market data through the gateway on the launcher's fleet (simulator source).

Quotes: a cached quote (one symbol, served from the gateway's Redis quote cache) and a
gateway-cache miss (every symbol of the universe in turn, so each request goes over gRPC to
the market-data service), open-loop at fixed rates. History: ten years of daily bars, for one
symbol asked again and again (the gateway's history cache), for many symbols each asked once
(the service reads PostgreSQL) and the same symbols again once the gateway's entries have
expired (the service's packed slices), against the floor of reading the rows straight from
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

import httpx
import psycopg

from bench.load import LatencyResult, closed_loop, open_loop, percentile
from bench.rawhttp import RawClient
from bench.target import Target
from eqr_launcher.registry import DEMO_EMAIL, DEMO_PASSWORD

CACHED_RATES = (200.0, 500.0, 500.0)
"""500 requests/s twice: on two shared cores the tail of a 10-second run varies from run to run."""
MISS_RATE = 40.0
"""Each symbol comes round about once a second: longer than the gateway cache TTL (500 ms)."""
SECONDS = 10.0
HISTORY_REQUESTS = 40
GATEWAY_HISTORY_TTL_SECONDS = 0.5
"""A reply whose window reaches today is kept as long as a quote (GATEWAY_QUOTE_CACHE_TTL_MS)."""
CONNECTIONS = 128
TEN_YEARS = {"interval": "1d", "range": "10y"}


@dataclass(frozen=True)
class HistoryTimings:
    bars: int
    same_symbol: list[float]
    first_reads: list[float]
    second_reads: list[float]
    symbols: int


async def _history(client: httpx.AsyncClient, headers: dict[str, str], universe: list[str]) -> HistoryTimings:
    async def timed(symbol: str) -> tuple[float, int]:
        started = time.perf_counter()
        response = await client.get(f"/api/v1/stocks/{symbol}/history", headers=headers, params=TEN_YEARS)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        return elapsed, len(response.json()["bars"])

    same = [await timed("JPM") for _ in range(HISTORY_REQUESTS)]
    others = [symbol for symbol in universe if symbol != "JPM"][:HISTORY_REQUESTS]
    first = [(await timed(symbol))[0] for symbol in others]
    await asyncio.sleep(GATEWAY_HISTORY_TTL_SECONDS * 2)
    second = [(await timed(symbol))[0] for symbol in others]
    return HistoryTimings(same[-1][1], [ms for ms, _ in same], first, second, len(others))


async def _quotes(gateway: str) -> tuple[list[LatencyResult], float, HistoryTimings]:
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        overview = (await client.get("/api/v1/market/overview", headers=headers)).json()
        symbols = [
            m["instrument"]["symbol"]
            for key in ("indices", "sectors", "gainers", "losers", "most_active")
            for m in overview[key]
        ]
        universe = sorted(set(symbols)) or ["AAPL"]
    async with RawClient(gateway, connections=CONNECTIONS) as raw:
        results = [
            await open_loop(
                "GET /stocks/AAPL/quote (gateway cache hit)",
                lambda: raw.get("/api/v1/stocks/AAPL/quote", headers),
                rate=rate,
                seconds=SECONDS,
            )
            for rate in CACHED_RATES
        ]
        turn = iter(range(10**9))

        def next_symbol() -> str:
            symbol: str = universe[next(turn) % len(universe)]
            return symbol

        results.append(
            await open_loop(
                f"GET /stocks/{{symbol}}/quote, {len(universe)} symbols in turn (gateway cache miss)",
                lambda: raw.get(f"/api/v1/stocks/{next_symbol()}/quote", headers),
                rate=MISS_RATE,
                seconds=SECONDS,
            )
        )
        sustained = await closed_loop(
            lambda: raw.get("/api/v1/stocks/AAPL/quote", headers), clients=16, seconds=SECONDS
        )
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        history = await _history(client, headers, universe)
    return results, sustained, history


def _database_floor(database_url: str) -> list[float]:
    timings = []
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for _ in range(HISTORY_REQUESTS):
            started = time.perf_counter()
            conn.execute(
                "SELECT day, open, high, low, close, volume FROM market_data.daily_bars"
                " WHERE symbol = 'JPM' AND day >= current_date - 3653 ORDER BY day"
            ).fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def _percentiles(timings: list[float]) -> str:
    return (
        f"p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms,"
        f" p99 {percentile(timings, 0.99):.1f} ms, max {max(timings):.1f} ms"
    )


def run(target: Target) -> str:
    results, sustained, history = asyncio.run(_quotes(target.gateway_url))
    floor = _database_floor(target.database_url)
    floor_p50 = statistics.median(floor)
    same_p50 = statistics.median(history.same_symbol)
    return "\n".join(
        [
            "",
            "### Market data through the gateway",
            "",
            f"Open-loop load for {SECONDS:.0f} s after a 1 s warm-up, one Python client process on the same",
            "machine as the fleet. Targets (issue 3): cached quote p95 < 20 ms at 500 requests/s;",
            "ten years of daily history < 50 ms.",
            "",
            "| route | rate/s | requests | errors | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---|---|---|---|---|---|---|",
            *(r.row() for r in results),
            "",
            f"- Cached quote, 16 closed-loop clients: {sustained:,.0f} requests/s sustained.",
            f"- Ten years of daily bars ({history.bars} bars, JSON) through the gateway, one request at"
            " a time (each sent when the last reply arrived):"
            f" JPM {HISTORY_REQUESTS} times (the gateway's history cache, which keeps a reply reaching"
            f" today for {GATEWAY_HISTORY_TTL_SECONDS * 1000:.0f} ms): {_percentiles(history.same_symbol)};"
            f" {history.symbols} other symbols once each (the service reads PostgreSQL):"
            f" {_percentiles(history.first_reads)}; the same symbols again after the gateway's entries"
            f" expired (the service's packed slices): {_percentiles(history.second_reads)}.",
            f"- The JPM rows read straight from PostgreSQL with psycopg (the floor): p50 {floor_p50:.1f} ms;"
            f" JPM through the gateway, p50: {same_p50 / floor_p50:.1f}x that.",
        ]
    )
