"""Quotes served from Redis for a few hundred milliseconds, fetched once per symbol at a time.

An entry is the quote's REST JSON, ready to send (an empty value marks a symbol the service
does not know), behind an 8-byte "refresh after" time, so a hit costs one Redis GET and no
parsing or encoding. A miss is filled with single flight: while a symbol is being fetched,
every other request of this process for it waits for that one fetch instead of calling the
service too; symbols missing from several requests at once are fetched in one batch call.

Refresh ahead: a hit in the second half of an entry's life is served at once and starts a
fill in the background, so a symbol read steadily is refetched before it expires and its
readers never wait for the service; only a symbol nobody read for half a TTL misses.

Each process also keeps the entries it read or wrote, and answers from them alone until their
refresh time (the first half of their life): a symbol read steadily costs this process one
Redis read per half TTL rather than one per request.

Staleness bound: an entry lives ``ttl_ms``, and is written when its fetch returns, so a quote
served from the cache is at most ``ttl_ms`` plus one fetch's duration older than the
service's quote at the moment it was fetched (the service's own ``timestamp`` and ``stale``
say how fresh that was).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import cast

import redis.asyncio as redis

from eqr_platform.cache import CACHE_LOOKUPS

# What a fill asks the service: the quote JSON of each known symbol among those given.
Fetch = Callable[[list[str]], Awaitable[Mapping[str, bytes]]]

UNKNOWN = b""
# The version names the entry's layout: a deploy that changes it never reads the old one.
_KEY_PREFIX = "eqr:gateway:quote:v2:"
# Big-endian milliseconds since the epoch after which a hit refreshes the entry.
_REFRESH_AT = struct.Struct(">Q")
_MAX_LOCAL_ENTRIES = 10_000


def quote_cache_key(symbol: str) -> str:
    return _KEY_PREFIX + symbol


def entry_quote(entry: bytes) -> bytes:
    """The quote JSON (or ``UNKNOWN``) an entry holds."""
    return entry[_REFRESH_AT.size :]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _retrieve(future: asyncio.Future[bytes]) -> None:
    """Marks a failed fill as seen even when every waiter has gone (no "never retrieved" noise)."""
    if not future.cancelled():
        future.exception()


class QuoteCache:
    def __init__(self, store: redis.Redis, *, ttl_ms: int) -> None:
        self._store = store
        self._ttl_ms = ttl_ms
        self._pending: dict[str, asyncio.Future[bytes]] = {}
        self._fills: set[asyncio.Task[None]] = set()
        self._local: dict[str, bytes] = {}
        """Symbol -> the entry (refresh time + quote) this process last read or wrote."""
        self._hits = CACHE_LOOKUPS.labels("gateway-quotes", "hit")
        self._misses = CACHE_LOOKUPS.labels("gateway-quotes", "miss")

    async def quote(self, symbol: str, fetch: Fetch) -> bytes:
        """The quote JSON of ``symbol``, or ``UNKNOWN``."""
        [quote] = await self.quotes([symbol], fetch)
        return quote

    async def quotes(self, symbols: Sequence[str], fetch: Fetch) -> list[bytes]:
        """The quote JSON (or ``UNKNOWN``) of each of ``symbols``."""
        now = _now_ms()
        local = [self._local.get(symbol) for symbol in symbols]
        if all(entry is not None and now < _REFRESH_AT.unpack_from(entry)[0] for entry in local):
            self._hits.inc(len(symbols))
            return [entry_quote(cast(bytes, entry)) for entry in local]
        entries = cast(list[bytes | None], await self._store.mget([_KEY_PREFIX + s for s in symbols]))
        for symbol, entry in zip(symbols, entries, strict=True):
            if entry is not None:
                self._remember(symbol, entry)
        now = _now_ms()
        missing: list[str] = []
        due: list[str] = []
        for symbol, entry in zip(symbols, entries, strict=True):
            if entry is None:
                missing.append(symbol)
            elif _REFRESH_AT.unpack_from(entry)[0] <= now and symbol not in self._pending:
                due.append(symbol)
        self._hits.inc(len(symbols) - len(missing))
        self._misses.inc(len(missing))
        if due:
            self._start_fills(due, fetch)
        filled = dict(zip(missing, await self._await_fills(missing, fetch), strict=True)) if missing else {}
        return [
            filled[symbol] if entry is None else entry_quote(entry)
            for symbol, entry in zip(symbols, entries, strict=True)
        ]

    async def _await_fills(self, symbols: list[str], fetch: Fetch) -> list[bytes]:
        return [await asyncio.shield(future) for future in self._start_fills(symbols, fetch)]

    def _start_fills(self, symbols: list[str], fetch: Fetch) -> list[asyncio.Future[bytes]]:
        """The future of each symbol's fill: the one in flight, else one started now (in one batch)."""
        loop = asyncio.get_running_loop()
        waiting: list[asyncio.Future[bytes]] = []
        mine: list[str] = []
        for symbol in symbols:
            future = self._pending.get(symbol)
            if future is None:
                future = self._pending[symbol] = loop.create_future()
                future.add_done_callback(_retrieve)
                mine.append(symbol)
            waiting.append(future)
        if mine:
            # A task of its own: a waiter going away (a client disconnecting) cancels only its wait.
            fill = asyncio.create_task(self._fill(mine, fetch))
            self._fills.add(fill)
            fill.add_done_callback(self._fills.discard)
        return waiting

    async def _fill(self, symbols: list[str], fetch: Fetch) -> None:
        quotes: dict[str, bytes] = {}
        failure: Exception | None = None
        try:
            found = await fetch(symbols)
            quotes = {symbol: found.get(symbol, UNKNOWN) for symbol in symbols}
            refresh_at = _REFRESH_AT.pack(_now_ms() + self._ttl_ms // 2)
            async with self._store.pipeline(transaction=False) as pipe:
                for symbol, quote in quotes.items():
                    pipe.set(_KEY_PREFIX + symbol, refresh_at + quote, px=self._ttl_ms)
                await pipe.execute()
            for symbol, quote in quotes.items():
                self._remember(symbol, refresh_at + quote)
        except Exception as exc:
            failure = exc
        finally:
            for symbol in symbols:
                future = self._pending.pop(symbol)
                if failure is not None:
                    future.set_exception(failure)
                elif symbol in quotes:
                    future.set_result(quotes[symbol])
                else:
                    future.cancel()

    def _remember(self, symbol: str, entry: bytes) -> None:
        if len(self._local) >= _MAX_LOCAL_ENTRIES and symbol not in self._local:
            self._local.clear()
        self._local[symbol] = entry

    async def close(self) -> None:
        for fill in list(self._fills):
            fill.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fill
        await self._store.aclose()
