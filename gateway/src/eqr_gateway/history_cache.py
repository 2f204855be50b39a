"""History replies kept rendered in Redis, so a chart many users open is one GET, not one
upstream call and one rendering of thousands of bars each.

An entry is the reply's JSON, keyed by what the reply depends on: the symbol, the interval,
``adjusted`` and the window as asked (the ``range`` token, or ``from``/``to``). A miss is
filled once per key however many requests wait for it (single flight); a failed fill (a 404,
a 422, an unavailable service) reaches every waiter and caches nothing.

Freshness. A window that reaches today ends with today's bar, which the service builds from
the live quote and which moves with every tick. Its reply is kept for
``GATEWAY_QUOTE_CACHE_TTL_MS``: its last bar is exactly as fresh as a cached quote (at most
that TTL plus one fetch behind the service), and a ``range`` window's start follows "now" as
closely. A window that ends before yesterday holds closed days only: its reply is kept for
``GATEWAY_HISTORY_CACHE_TTL_SECONDS``, under the symbol's generation, which the
``eqr.market-data.bars.imported`` event bumps, so an import that rewrites past days is
served at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import redis.asyncio as redis
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from eqr.market_data.v1 import events_pb2
from eqr_gateway.history_window import Window
from eqr_platform import bus
from eqr_platform.cache import CACHE_LOOKUPS, SingleFlight

log = logging.getLogger("eqr.gateway.history_cache")

BARS_IMPORTED_SUBJECT = "eqr.market-data.bars.imported"
CONSUMER = bus.ConsumerSpec(
    stream="MARKET_DATA",
    durable="gateway--history-cache",
    filter_subject=BARS_IMPORTED_SUBJECT,
    # Replies cached before the consumer existed were rendered after any earlier import.
    deliver_policy=DeliverPolicy.NEW,
)
# The version names the JSON shape: a deploy that changes it never serves the old one.
_KEY_PREFIX = "eqr:gateway:history:v1:"
_GENERATION_PREFIX = "eqr:gateway:history-generation:"


def history_cache_key(
    interval: str, adjusted: bool, span: str | None, start: datetime | None, end: datetime | None
) -> str:
    """What a reply depends on besides the symbol, as the request put it."""
    if span:
        window = f"range={span}"
    else:
        window = f"{start.isoformat() if start else ''}..{end.isoformat() if end else ''}"
    return f"{interval}:{'adjusted' if adjusted else 'raw'}:{window}"


def reaches_today(window: Window, now: datetime) -> bool:
    """Whether the reply may end with a live bar (the service adds one to windows ending since yesterday)."""
    return window.end is None or window.end.astimezone(UTC).date() >= (now - timedelta(days=1)).date()


class HistoryCache:
    def __init__(self, store: redis.Redis, *, live_ttl_ms: int, closed_ttl_seconds: int) -> None:
        self._store = store
        self._live_ttl_ms = live_ttl_ms
        self._closed_ttl_ms = closed_ttl_seconds * 1000
        self._flights: SingleFlight[str, bytes] = SingleFlight()

    async def reply(
        self, symbol: str, key: str, *, live: bool, render: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """The cached reply for ``key``, else the one ``render`` makes (then cached)."""
        if live:
            entry_key, ttl_ms = f"{_KEY_PREFIX}{symbol}:live:{key}", self._live_ttl_ms
        else:
            generation = int(cast(bytes | None, await self._store.get(_GENERATION_PREFIX + symbol)) or 0)
            entry_key, ttl_ms = f"{_KEY_PREFIX}{symbol}:{generation}:{key}", self._closed_ttl_ms
        cached = cast(bytes | None, await self._store.get(entry_key))
        CACHE_LOOKUPS.labels("gateway-history", "miss" if cached is None else "hit").inc()
        if cached is not None:
            return cached

        async def fill() -> bytes:
            body = await render()
            await self._store.set(entry_key, body, px=ttl_ms)
            return body

        return await self._flights.do(entry_key, fill)

    async def invalidate(self, symbol: str) -> None:
        """Past replies of ``symbol`` stop being found (and expire in their own time)."""
        await self._store.incr(_GENERATION_PREFIX + symbol)

    async def handle(self, message: Msg) -> None:
        try:
            event = events_pb2.BarsImported.FromString(message.data)
        except DecodeError:
            log.error("dropping undecodable bars event", extra={"subject": message.subject})
            return
        if event.symbol:
            await self.invalidate(event.symbol)

    async def close(self) -> None:
        await self._store.aclose()
