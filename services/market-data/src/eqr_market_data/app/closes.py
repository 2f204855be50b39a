"""Daily closes of many symbols in one go, for callers that need only closes (a portfolio's
performance over years of days).

Each query's stored closes come from the closes cache, packed; the misses of a batch are read
from the store in one query. A slice whose stored bars are not current (``DailyFreshness``:
not the primary source's, or short of a session that has closed) asks the sources first, as
history does; a slice with no closed session in it asks nobody (no source can have a bar
yet) and is then cached briefly, so a recent slice costs a cache read even on the day after
a holiday. Today's live close follows the stored ones, as in ``HistoryService``. Symbols are
the ones the service knows (``InstrumentDirectory.known``): a batch looks none up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from eqr_market_data.app.bar_actions import actions_for
from eqr_market_data.app.daily_supply import DailySupply
from eqr_market_data.app.history import live_daily_bar, trading_day_of
from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.ports import (
    Clock,
    ClosesCache,
    CloseSlice,
    MarketStore,
    PackedCloses,
    SingleFlight,
)
from eqr_market_data.app.quotes import QuoteService
from eqr_market_data.domain.adjustment import adjust_bars
from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import Bar
from eqr_market_data.domain.ranges import resolve_close_days
from eqr_market_data.domain.symbols import normalise_symbol

MAX_TOTAL_SPAN_DAYS = 500 * 3653
"""The queries of one batch span at most this many days together (ten years for each of 500
symbols: some 1.3 million closes, about 14 MB on the wire)."""


@dataclass(frozen=True)
class ClosesQuery:
    """As asked: the symbol not yet normalised, the days not yet checked (``None``: unset)."""

    symbol: str
    start: date | None
    end: date | None
    adjusted: bool


@dataclass(frozen=True)
class Closes:
    """A query's answer: the stored closes (packed), then the live bar's close, if any."""

    symbol: str
    adjusted: bool
    packed: PackedCloses
    live: Bar | None
    revision: int


@dataclass(frozen=True)
class _Query:
    symbol: str
    first: date
    last: date
    adjusted: bool


class ClosesService:
    def __init__(
        self,
        directory: InstrumentDirectory,
        store: MarketStore,
        daily: DailySupply,
        quotes: QuoteService,
        cache: ClosesCache,
        flights: SingleFlight[tuple[CloseSlice, ...], list[PackedCloses]],
        clock: Clock,
        *,
        max_queries: int,
    ) -> None:
        self._directory = directory
        self._store = store
        self._daily = daily
        self._quotes = quotes
        self._cache = cache
        self._flights = flights
        self._clock = clock
        self._max_queries = max_queries

    async def closes(self, queries: Sequence[ClosesQuery]) -> tuple[list[Closes], list[str]]:
        """One answer per query of a known symbol, in query order, and the unknown symbols."""
        checked = self._checked(queries)
        listed = set(await self._directory.known(list(dict.fromkeys(q.symbol for q in checked))))
        known = [q for q in checked if q.symbol in listed]
        unknown = list(dict.fromkeys(q.symbol for q in checked if q.symbol not in listed))
        if not known:
            return [], unknown
        symbols = list(dict.fromkeys(q.symbol for q in known))
        revisions = dict(zip(symbols, await self._cache.revisions(symbols), strict=True))
        lives = await self._live_bars(known)
        slices = [CloseSlice(q.symbol, revisions[q.symbol], _key(q, lives.get(q))) for q in known]
        packed = await self._cache.get_closes(slices)
        missing = [i for i, found in enumerate(packed) if found is None]
        if missing:
            wanted = tuple(slices[i] for i in missing)
            loaded = await self._flights.do(
                wanted, lambda: self._load([known[i] for i in missing], wanted, lives)
            )
            for i, fresh in zip(missing, loaded, strict=True):
                packed[i] = fresh
        answers = []
        for q, stored in zip(known, packed, strict=True):
            assert stored is not None
            live = lives.get(q)
            newer = (
                live
                if live is not None and (stored.last_day is None or stored.last_day < live.start.date())
                else None
            )
            answers.append(Closes(q.symbol, q.adjusted, stored, newer, revisions[q.symbol]))
        return answers, unknown

    def _checked(self, queries: Sequence[ClosesQuery]) -> list[_Query]:
        if not queries:
            raise InvalidRequest("queries", "at least one query is required")
        if len(queries) > self._max_queries:
            raise InvalidRequest("queries", f"at most {self._max_queries} queries per request")
        today = self._clock.now().date()
        checked = []
        for position, query in enumerate(queries):
            field = f"queries[{position}]"
            symbol = normalise_symbol(query.symbol, f"{field}.symbol")
            first, last = resolve_close_days(query.start, query.end, today=today, field=field)
            checked.append(_Query(symbol, first, last, query.adjusted))
        if sum((q.last - q.first).days + 1 for q in checked) > MAX_TOTAL_SPAN_DAYS:
            raise InvalidRequest(
                "queries", f"the ranges may span at most {MAX_TOTAL_SPAN_DAYS} days together"
            )
        return checked

    async def _live_bars(self, queries: Sequence[_Query]) -> dict[_Query, Bar]:
        """Today's bar so far for each query whose range reaches the live quote's trading day."""
        since = self._clock.now().date() - timedelta(days=1)
        recent = [q for q in queries if q.last >= since]
        if not recent:
            return {}
        quotes, _ = await self._quotes.quotes(list(dict.fromkeys(q.symbol for q in recent)))
        by_symbol = {quote.symbol: quote for quote in quotes}
        return {
            q: live_daily_bar(quote)
            for q in recent
            if (quote := by_symbol.get(q.symbol)) is not None and q.first <= trading_day_of(quote) <= q.last
        }

    async def _load(
        self, queries: Sequence[_Query], slices: Sequence[CloseSlice], lives: dict[_Query, Bar]
    ) -> list[PackedCloses]:
        stored = await self._store.daily_bars_many([(q.symbol, q.first, q.last) for q in queries])
        loaded: list[tuple[CloseSlice, Sequence[Bar]]] = []
        for q, where, bars in zip(queries, slices, stored, strict=True):
            live = lives.get(q)
            live_day = live.start.date() if live is not None else None
            bars = await self._daily.bars(q.symbol, q.first, q.last, live_day=live_day, stored=bars)
            if q.adjusted and bars:
                tail = [live] if live is not None and live.start.date() > bars[-1].start.date() else []
                series = [*bars, *tail]
                actions = actions_for(series, await self._store.corporate_actions(q.symbol))
                bars = adjust_bars(series, actions)[: len(bars)]
            loaded.append((where, bars))
        return await self._cache.put_closes(loaded)


def _key(query: _Query, live: Bar | None) -> str:
    """Adjusted closes are scaled as part of a series ending with the live bar (an ex-date on the
    live day scales every stored one), so the live day is part of their key."""
    if not query.adjusted:
        return f"{query.first.isoformat()}:{query.last.isoformat()}:raw"
    live_day = live.start.date().isoformat() if live is not None else "-"
    return f"{query.first.isoformat()}:{query.last.isoformat()}:adjusted:{live_day}"
