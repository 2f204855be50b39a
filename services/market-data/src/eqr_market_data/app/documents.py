"""News and fundamentals: served from the store, refreshed from the sources periodically.

Each symbol's news (and the market-wide news) and each symbol's statements per period ask the
sources again once their refresh period has passed (``Refreshed``); what the sources return
is stored, and the reply is read from the store. Items from several sources can be stored
(a fallback answered while the primary failed): a reply takes those of the best-ranked
source present, so a fallback's items never mix with the primary's. With nothing stored and
the sources failing, the sources' error is raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from eqr_market_data.app.ports import MarketStore
from eqr_market_data.app.refreshed import Refreshed
from eqr_market_data.app.sources import SourceChain
from eqr_market_data.domain.errors import SourceUnavailable
from eqr_market_data.domain.model import Financials, NewsItem, Period

READ_AHEAD = 200
"""Stored items read to pick a reply from (the largest page a caller may ask for)."""


class _Sourced(Protocol):
    @property
    def source(self) -> str: ...


S = TypeVar("S", bound=_Sourced)


class Documents:
    def __init__(
        self,
        store: MarketStore,
        sources: SourceChain,
        refreshed: Refreshed,
        *,
        news_every: timedelta,
        fundamentals_every: timedelta,
    ) -> None:
        self._store = store
        self._sources = sources
        self._refreshed = refreshed
        self._news_every = news_every
        self._fundamentals_every = fundamentals_every

    async def news(self, symbol: str | None, count: int) -> list[NewsItem]:
        """Newest first; ``symbol=None`` for every item."""

        async def fetch() -> None:
            await self._store.save_news(await self._sources.news(symbol, READ_AHEAD))

        error = await self._refreshed.ensure(f"news:{symbol or '*'}", self._news_every, fetch)
        stored = self._best(await self._store.news(symbol, READ_AHEAD))
        if not stored and isinstance(error, SourceUnavailable):
            raise error
        return stored[:count]

    async def recent_news(self, since: datetime, limit: int) -> list[NewsItem]:
        """The market's stored news published since ``since``, after a refresh when one is due."""

        async def fetch() -> None:
            await self._store.save_news(await self._sources.news(None, READ_AHEAD))

        await self._refreshed.ensure("news:*", self._news_every, fetch)
        return await self._store.news(None, limit, since=since)

    async def fundamentals(self, symbol: str, period: Period, count: int) -> list[Financials]:
        """Newest period first."""

        async def fetch() -> None:
            await self._store.save_financials(await self._sources.fundamentals(symbol, period))

        key = f"fundamentals:{symbol}:{period.value}"
        error = await self._refreshed.ensure(key, self._fundamentals_every, fetch)
        stored = self._best(await self._store.financials(symbol, period, READ_AHEAD))
        if not stored and isinstance(error, SourceUnavailable):
            raise error
        return stored[:count]

    def _best(self, items: Sequence[S]) -> list[S]:
        """The items of the best-ranked source among them, in their order."""
        if not items:
            return []
        best = min(self._sources.rank(item.source) for item in items)
        return [item for item in items if self._sources.rank(item.source) == best]
