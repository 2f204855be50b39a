"""QuoteService: cached quotes first; misses go to the sources once however many callers wait."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.ports import SourceError
from eqr_market_data.app.quotes import QuoteService
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.errors import UnknownSymbol
from eqr_market_data.domain.model import AssetClass, Instrument, Quote
from eqr_platform.cache import SingleFlight

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SYMBOLS = ("AAPL", "MSFT", "KO")


def _quote(symbol: str) -> Quote:
    return Quote(symbol, 101.0, 100.0, 102.0, 99.0, 100.0, 1000, NOW, "fake")


@dataclass
class GatedSource:
    """Answers ``quotes`` once ``release`` is set, counting calls; fails them while ``failure`` is set."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    failure: SourceError | None = None
    name: str = "fake"

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        self.calls.append(tuple(symbols))
        await self.release.wait()
        if self.failure is not None:
            raise self.failure
        return [_quote(s) for s in symbols]


@dataclass
class DictQuoteCache:
    entries: dict[str, Quote] = field(default_factory=dict)

    async def get_many(self, symbols: Sequence[str]) -> dict[str, Quote]:
        return {s: self.entries[s] for s in symbols if s in self.entries}

    async def put_many(self, quotes: Sequence[Quote]) -> None:
        self.entries.update((q.symbol, q) for q in quotes)


class NowhereListed:
    """The sources behind the directory: they know no other symbol."""

    lookups: list[str]

    def __init__(self) -> None:
        self.lookups = []

    async def instrument(self, symbol: str) -> Instrument:
        self.lookups.append(symbol)
        raise UnknownSymbol(symbol)


class FixedClock:
    def now(self) -> datetime:
        return NOW


def _directory(lookups: NowhereListed | None = None) -> InstrumentDirectory:
    universe = Universe(Instrument(s, s, "NYSE", "USD", AssetClass.EQUITY) for s in SYMBOLS)
    return InstrumentDirectory(
        universe,
        None,  # type: ignore[arg-type]
        lookups or NowhereListed(),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        SingleFlight(),
        FixedClock(),
        refresh_every=timedelta(days=1),
    )


def _service(
    source: GatedSource, cache: DictQuoteCache, lookups: NowhereListed | None = None
) -> QuoteService:
    return QuoteService(_directory(lookups), source, cache, SingleFlight(), max_batch=50)  # type: ignore[arg-type]


async def test_concurrent_misses_for_a_symbol_make_one_source_call() -> None:
    source, cache = GatedSource(), DictQuoteCache()
    service = _service(source, cache)
    readers = [asyncio.create_task(service.quote("aapl")) for _ in range(25)]
    await asyncio.sleep(0.01)
    source.release.set()
    quotes = await asyncio.gather(*readers)
    assert source.calls == [("AAPL",)]
    assert {q.symbol for q in quotes} == {"AAPL"}
    assert "AAPL" in cache.entries


async def test_concurrent_full_scans_share_one_batch_call() -> None:
    source, cache = GatedSource(), DictQuoteCache()
    service = _service(source, cache)
    scans = [asyncio.create_task(service.all_quotes()) for _ in range(10)]
    await asyncio.sleep(0.01)
    source.release.set()
    results = await asyncio.gather(*scans)
    assert source.calls == [tuple(sorted(SYMBOLS))]
    assert all(set(result) == set(SYMBOLS) for result in results)


async def test_a_hit_does_not_reach_the_source() -> None:
    source, cache = GatedSource(), DictQuoteCache({"KO": _quote("KO")})
    service = _service(source, cache)
    assert (await service.quote("KO")).symbol == "KO"
    assert source.calls == []


async def test_a_failed_load_reaches_every_waiter_caches_nothing_and_the_next_call_retries() -> None:
    source, cache = GatedSource(failure=SourceError("provider down")), DictQuoteCache()
    service = _service(source, cache)
    readers = [asyncio.create_task(service.quote("MSFT")) for _ in range(5)]
    await asyncio.sleep(0.01)
    source.release.set()
    results = await asyncio.gather(*readers, return_exceptions=True)
    assert all(isinstance(r, SourceError) for r in results)
    assert source.calls == [("MSFT",)]
    assert cache.entries == {}
    source.failure = None
    assert (await service.quote("MSFT")).symbol == "MSFT"
    assert len(source.calls) == 2


async def test_unknown_symbols_are_looked_up_once_then_refused_before_any_quote() -> None:
    source, lookups = GatedSource(), NowhereListed()
    service = _service(source, DictQuoteCache(), lookups)
    for _ in range(3):
        with pytest.raises(UnknownSymbol):
            await service.quote("NOPE")
    assert lookups.lookups == ["NOPE"]  # remembered as unknown for a while
    assert source.calls == []
