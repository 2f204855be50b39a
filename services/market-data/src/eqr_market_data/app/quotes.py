"""Latest quotes: from the shared cache, else from the sources (one call per missing batch).

The cache holds what the sources answered (in their order, screened) for a short TTL, and,
when the simulator is the first source, what its ticker quotes every tick; a source the
order puts behind another never fills it on its own. Misses are loaded with single flight:
callers missing the same symbols at the same time (a popular symbol whose entry just
expired, every caller of ``all_quotes``) share one call to the sources, which may be a
rate-limited provider.
"""

from __future__ import annotations

from collections.abc import Sequence

from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.ports import MarketDataSource, QuoteCache, SingleFlight
from eqr_market_data.domain.errors import UnknownSymbol
from eqr_market_data.domain.model import Quote
from eqr_market_data.domain.symbols import normalise_symbol, normalise_symbols


class QuoteService:
    def __init__(
        self,
        directory: InstrumentDirectory,
        sources: MarketDataSource,
        cache: QuoteCache,
        flights: SingleFlight[tuple[str, ...], list[Quote]],
        *,
        max_batch: int,
    ) -> None:
        self._directory = directory
        self._sources = sources
        self._cache = cache
        self._flights = flights
        self._max_batch = max_batch

    async def quote(self, raw_symbol: str) -> Quote:
        symbol = (await self._directory.get(normalise_symbol(raw_symbol))).symbol
        quotes = await self._fetch([symbol])
        if symbol not in quotes:
            raise UnknownSymbol(symbol)
        return quotes[symbol]

    async def quotes(self, raw_symbols: Sequence[str]) -> tuple[list[Quote], list[str]]:
        """Quotes in request order, and the requested symbols nobody knows."""
        symbols = normalise_symbols(raw_symbols, limit=self._max_batch)
        known = await self._directory.known(symbols)
        quotes = await self._fetch(known)
        return [quotes[s] for s in known if s in quotes], [s for s in symbols if s not in quotes]

    async def all_quotes(self) -> dict[str, Quote]:
        return await self._fetch(self._directory.universe.symbols())

    async def _fetch(self, symbols: Sequence[str]) -> dict[str, Quote]:
        if not symbols:
            return {}
        found = await self._cache.get_many(symbols)
        missing = tuple(sorted({s for s in symbols if s not in found}))
        if missing:
            fresh = await self._flights.do(missing, lambda: self._load(missing))
            found.update((quote.symbol, quote) for quote in fresh)
        return found

    async def _load(self, symbols: Sequence[str]) -> list[Quote]:
        fresh = await self._sources.quotes(symbols)
        await self._cache.put_many(fresh)
        return fresh
