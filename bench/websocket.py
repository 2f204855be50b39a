"""The live socket under load: 1,000 sockets, 20 symbols each, the simulator ticking every symbol
once a second (its default), one gateway process.

- Latency: from the ``timestamp`` a quote event carries (stamped by market-data when it ticks,
  before it publishes) to the frame's arrival at the client.
- Loss: a NATS subscriber in this process counts every tick published in the window; each
  socket should receive every tick of its symbols stamped in the window. Clients here keep
  up, so any shortfall is loss (or coalescing the client did not need).
- The peer: that NATS subscriber's own latency, which is what a service reading the bus
  directly would see — the floor under any fan-out.
- Sustained delivery: the frames per second the gateway process sent over the window, and a
  second round with 60 symbols per socket (three times the frames).
- Memory: the gateway's resident set before and after opening the sockets, authenticated and
  idle, divided by their number.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import nats
from nats.aio.msg import Msg

from bench.load import percentile
from bench.rawws import RawSocket
from bench.target import Target
from bench.universe import tradeable_symbols
from eqr.market_data.v1 import events_pb2
from eqr_launcher.registry import DEMO_EMAIL, DEMO_PASSWORD

SOCKETS = 1000
SYMBOLS_PER_SOCKET = 20
HEAVY_SYMBOLS_PER_SOCKET = 60
CONNECT_CONCURRENCY = 50
WARMUP_SECONDS = 5.0
WINDOW_SECONDS = 20.0
STRAGGLER_SECONDS = 3.0
_QUOTE = b'{"type":"quote_update"'
_STAMP = b'"timestamp":"'


class _Stamps:
    """Quote timestamps to epoch seconds, parsed once per distinct text (all sockets share them)."""

    def __init__(self) -> None:
        self._seen: dict[bytes, float] = {}

    def seconds(self, text: bytes) -> float:
        value = self._seen.get(text)
        if value is None:
            value = self._seen[text] = datetime.fromisoformat(text.decode()).timestamp()
        return value


@dataclass
class _Round:
    window: tuple[float, float] = (0.0, 0.0)
    latencies_ms: list[float] = field(default_factory=list)
    received_in_window: int = 0
    frames: int = 0
    acks: int = 0
    awaited_acks: int = SOCKETS
    all_acked: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class RoundResult:
    symbols_per_socket: int
    published_ticks: int
    expected: int
    delivered: int
    frames_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    floor_p50_ms: float
    floor_p99_ms: float


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))


async def _login(gateway: str) -> tuple[str, list[str]]:
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        token = login.json()["access_token"]
        symbols = await tradeable_symbols(client, {"Authorization": f"Bearer {token}"})
    return token, symbols


async def _open_sockets(url: str, token: str, current: list[_Round], stamps: _Stamps) -> list[RawSocket]:
    def on_text(payload: bytes) -> None:
        state = current[0]
        state.frames += 1
        if payload.startswith(_QUOTE):
            start = payload.find(_STAMP) + len(_STAMP)
            stamp = stamps.seconds(payload[start : payload.index(b'"', start)])
            now = time.time()
            if state.window[0] <= stamp <= state.window[1]:
                state.received_in_window += 1
                state.latencies_ms.append((now - stamp) * 1000)
        elif payload.startswith(b'{"type":"ack"'):
            state.acks += 1
            if state.acks >= state.awaited_acks:
                state.all_acked.set()

    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one() -> RawSocket:
        async with limit:
            return await RawSocket.open(url, subprotocols=["eqr.v1", f"bearer.{token}"], on_text=on_text)

    return list(await asyncio.gather(*(one() for _ in range(SOCKETS))))


async def _round(
    sockets: list[RawSocket], universe: list[str], per_socket: int, current: list[_Round], nats_url: str
) -> RoundResult:
    state = current[0] = _Round()
    subscriptions: list[list[str]] = []
    for index, socket in enumerate(sockets):
        symbols = [universe[(index * 7 + k) % len(universe)] for k in range(per_socket)]
        subscriptions.append(symbols)
        socket.send_text(json.dumps({"type": "subscribe", "data": {"channel": "quotes", "symbols": symbols}}))
    await asyncio.wait_for(state.all_acked.wait(), 60)

    published: Counter[str] = Counter()
    floor_ms: list[float] = []

    async def on_tick(message: Msg) -> None:
        received = time.time()
        quote = events_pb2.QuoteUpdated.FromString(message.data).quote
        stamp = quote.timestamp.seconds + quote.timestamp.nanos / 1e9
        if state.window[0] <= stamp <= state.window[1]:
            published[quote.symbol] += 1
            floor_ms.append((received - stamp) * 1000)

    bus = await nats.connect(nats_url, name="bench-floor")
    await bus.subscribe("eqr.market-data.quote.updated.>", cb=on_tick)
    await asyncio.sleep(WARMUP_SECONDS)
    start = time.time()
    state.window = (start, start + WINDOW_SECONDS)
    frames_before = state.frames
    await asyncio.sleep(WINDOW_SECONDS)
    frames_per_second = (state.frames - frames_before) / WINDOW_SECONDS
    await asyncio.sleep(STRAGGLER_SECONDS)
    await bus.close()
    for socket, symbols in zip(sockets, subscriptions, strict=True):
        socket.send_text(
            json.dumps({"type": "unsubscribe", "data": {"channel": "quotes", "symbols": symbols}})
        )
    await asyncio.sleep(STRAGGLER_SECONDS)
    expected = sum(published[symbol] for symbols in subscriptions for symbol in symbols)
    return RoundResult(
        symbols_per_socket=per_socket,
        published_ticks=sum(published.values()),
        expected=expected,
        delivered=state.received_in_window,
        frames_per_second=frames_per_second,
        p50_ms=percentile(state.latencies_ms, 0.50),
        p99_ms=percentile(state.latencies_ms, 0.99),
        max_ms=max(state.latencies_ms),
        floor_p50_ms=percentile(floor_ms, 0.50),
        floor_p99_ms=percentile(floor_ms, 0.99),
    )


async def _measure(target: Target) -> tuple[float, list[RoundResult]]:
    token, universe = await _login(target.gateway_url)
    url = target.gateway_url.replace("http://", "ws://") + "/api/v1/ws"
    current = [_Round()]
    before = _rss_kib(target.gateway_pid)
    sockets = await _open_sockets(url, token, current, _Stamps())
    await asyncio.wait_for(current[0].all_acked.wait(), 60)
    await asyncio.sleep(1.0)
    idle_kib = (_rss_kib(target.gateway_pid) - before) / SOCKETS
    rounds = [
        await _round(sockets, universe, per_socket, current, target.nats_url)
        for per_socket in (SYMBOLS_PER_SOCKET, HEAVY_SYMBOLS_PER_SOCKET)
    ]
    for socket in sockets:
        socket.close()
    return idle_kib, rounds


def run(target: Target) -> str:
    idle_kib, rounds = asyncio.run(_measure(target))
    rows = [
        f"| {r.symbols_per_socket} | {r.published_ticks:,} | {r.expected:,} | {r.delivered:,} | "
        f"{r.frames_per_second:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.max_ms:.1f} | "
        f"{r.floor_p50_ms:.1f} | {r.floor_p99_ms:.1f} | {r.p99_ms / r.floor_p99_ms:.1f}x |"
        for r in rounds
    ]
    return "\n".join(
        [
            "### Live quotes over the WebSocket",
            "",
            f"{SOCKETS:,} sockets on one gateway process, each subscribed to N of the simulator's",
            "tradeable symbols, the simulator ticking every symbol once a second; one load-generator process",
            f"(bench/rawws.py) with all the sockets. {WINDOW_SECONDS:.0f} s window after"
            f" {WARMUP_SECONDS:.0f} s of warm-up. Latency: the quote's own timestamp (stamped when",
            "market-data ticks) to the frame's arrival. Floor: a NATS subscriber in the load generator",
            "reading the same subjects directly. Targets (issue 5): p99 < 25 ms at 1,000 sockets,",
            "no loss for clients that keep up, < 50 KB per idle socket.",
            "",
            "| N symbols | ticks published | frames expected | delivered | frames/s sent | p50 ms "
            "| p99 ms | max ms | floor p50 ms | floor p99 ms | p99 vs floor |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"- Memory per idle authenticated socket (gateway resident set): {idle_kib:.1f} KiB.",
            "",
        ]
    )
