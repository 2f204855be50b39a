"""Daily bars as the store has them, fetched from the sources first when they are not current
(``DailyFreshness``). A fetch asks the chain (the first source with bars in the range, with
that source's corporate actions), checks and stores the answer's closed days (``DailyIngest``;
a day still trading is the live bar's, not stored) and serves the store's bars again. When
the sources fail, the stored bars are served as they are; with none stored, the sources'
error is raised.
"""

from __future__ import annotations

import logging
from datetime import date

from eqr_market_data.app.daily_freshness import DailyFreshness
from eqr_market_data.app.daily_ingest import DailyIngest, Incoming
from eqr_market_data.app.ports import MarketStore
from eqr_market_data.app.sources import SourceChain
from eqr_market_data.domain.errors import SourceUnavailable, UnknownSymbol
from eqr_market_data.domain.model import Bar
from eqr_market_data.domain.quality_checks import DEFAULT_POLICY, QualityPolicy

log = logging.getLogger(__name__)


class DailySupply:
    def __init__(
        self, store: MarketStore, sources: SourceChain, ingest: DailyIngest, freshness: DailyFreshness
    ) -> None:
        self._store = store
        self._sources = sources
        self._ingest = ingest
        self._freshness = freshness

    async def bars(
        self,
        symbol: str,
        first: date,
        last: date,
        *,
        live_day: date | None,
        stored: list[Bar] | None = None,
        policy: QualityPolicy = DEFAULT_POLICY,
    ) -> list[Bar]:
        """The bars of ``first`` to ``last`` (``stored``: already read from the store)."""
        if stored is None:
            stored = await self._store.daily_bars(symbol, first, last)
        if not self._freshness.needs_fetch(symbol, stored, first, last, live_day):
            return stored
        try:
            answer = await self._sources.daily_history(symbol, first, last)
        except (SourceUnavailable, UnknownSymbol) as error:
            if not stored and isinstance(error, SourceUnavailable):
                raise
            log.warning("serving stored daily bars", extra={"symbol": symbol, "error": str(error)})
            return stored
        self._freshness.asked(symbol, first)
        through = self._freshness.last_closed(first, last, live_day)
        closed = [bar for bar in answer.bars if through is not None and bar.start.date() <= through]
        if not closed:
            return stored
        [checked] = await self._ingest.check([Incoming(symbol, closed, answer.actions, policy=policy)])
        if not await self._ingest.save([checked], answer.actions):
            return stored
        return await self._store.daily_bars(symbol, first, last)
