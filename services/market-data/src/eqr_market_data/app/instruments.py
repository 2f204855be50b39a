"""Which instruments the service knows, and how an unknown symbol becomes known.

The universe in memory holds what the store holds (and, with the simulator as a fallback,
the simulator's listing). A symbol outside it is looked up through the sources
(``instrument``) before it is an unknown symbol: found, it is stored and joins the universe;
found nowhere, it is remembered as unknown for ``forget_unknown_after``, so a caller
repeating it does not spend a provider's budget. Batch requests do not look symbols up one
by one (a batch of 500 made-up symbols would be 500 provider calls): they take what the
universe knows, re-reading the store at most every ``reload_every`` for symbols another
replica looked up.

``describe`` gives the instrument as the primary source tells it: a description from another
source (a fallback's, the simulator's listing) is refreshed from the sources at most once per
``refresh_every``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from eqr_market_data.app.ports import Clock, MarketStore, SingleFlight
from eqr_market_data.app.refreshed import Refreshed
from eqr_market_data.app.sources import SourceChain
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.errors import UnknownSymbol
from eqr_market_data.domain.model import Instrument

MAX_REMEMBERED_UNKNOWN = 10_000


class InstrumentDirectory:
    def __init__(
        self,
        universe: Universe,
        store: MarketStore,
        sources: SourceChain,
        refreshed: Refreshed,
        flights: SingleFlight[str, Instrument],
        clock: Clock,
        *,
        refresh_every: timedelta,
        forget_unknown_after: timedelta = timedelta(minutes=10),
        reload_every: timedelta = timedelta(seconds=30),
    ) -> None:
        self.universe = universe
        self._store = store
        self._sources = sources
        self._refreshed = refreshed
        self._flights = flights
        self._clock = clock
        self._refresh_every = refresh_every
        self._forget_after = forget_unknown_after
        self._reload_every = reload_every
        self._unknown: dict[str, datetime] = {}
        self._reloaded: datetime | None = None

    async def get(self, symbol: str) -> Instrument:
        """The instrument of a normalised symbol, looked up through the sources when unknown."""
        if symbol in self.universe:
            return self.universe.get(symbol)
        now = self._clock.now()
        until = self._unknown.get(symbol)
        if until is not None and now < until:
            raise UnknownSymbol(symbol)
        try:
            return await self._flights.do(symbol, lambda: self._look_up(symbol))
        except UnknownSymbol:
            self._remember_unknown(symbol, now)
            raise

    async def describe(self, symbol: str) -> Instrument:
        """``get``, refreshed from the sources when it is not the primary source's description."""
        known = await self.get(symbol)
        if self._sources.rank(known.source) <= 0:
            return known

        async def fetch() -> None:
            found = await self._sources.instrument(symbol)
            if found != known:
                await self._keep(found, symbol)

        await self._refreshed.ensure(f"instrument:{symbol}", self._refresh_every, fetch)
        return self.universe.get(symbol)

    async def known(self, symbols: Sequence[str]) -> list[str]:
        """The symbols the universe knows, in order (no lookups through the sources)."""
        if any(symbol not in self.universe for symbol in symbols):
            now = self._clock.now()
            if self._reloaded is None or now - self._reloaded >= self._reload_every:
                self._reloaded = now
                self.universe.add(await self._store.instruments())
        return [symbol for symbol in symbols if symbol in self.universe]

    async def _look_up(self, symbol: str) -> Instrument:
        return await self._keep(await self._sources.instrument(symbol), symbol)

    async def _keep(self, found: Instrument, symbol: str) -> Instrument:
        instrument = found if found.symbol == symbol else replace(found, symbol=symbol)
        await self._store.upsert_instruments([instrument])
        self.universe.add([instrument])
        return instrument

    def _remember_unknown(self, symbol: str, now: datetime) -> None:
        if len(self._unknown) >= MAX_REMEMBERED_UNKNOWN:
            self._unknown = {s: until for s, until in self._unknown.items() if until > now}
            while len(self._unknown) >= MAX_REMEMBERED_UNKNOWN:
                self._unknown.pop(next(iter(self._unknown)))
        self._unknown[symbol] = now + self._forget_after
