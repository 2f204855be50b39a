"""What the market-data use cases need from the outside world, as structural types.

Sources (the simulator and the real providers) implement ``MarketDataSource``; the db
adapter implements ``MarketStore``; the Redis adapter ``QuoteCache``. None of them commit
anything on their own except the store's explicit write methods, each one transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, TypeVar

from eqr_market_data.domain.events import BarsImported
from eqr_market_data.domain.market import MarketSnapshot
from eqr_market_data.domain.model import (
    Bar,
    CorporateAction,
    Financials,
    Instrument,
    Interval,
    NewsItem,
    Period,
    Quote,
)
from eqr_market_data.domain.quality import QualityIssue, Severity

KeyT = TypeVar("KeyT", bound=Hashable, contravariant=True)
ValueT = TypeVar("ValueT")


class SourceError(Exception):
    """A source failed in a way worth trying the next source for (timeout, 5xx, bad payload)."""


class NotSupported(SourceError):
    """The source does not offer this kind of data (e.g. news from Yahoo's chart API)."""


class NotFoundAtSource(SourceError):
    """The source does not know the symbol."""


class RateLimited(SourceError):
    """The source's budget is spent; ``retry_after`` seconds until it may be asked again."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MarketDataSource(Protocol):
    """One provider of market data. Methods it cannot serve raise ``NotSupported``.

    Bars are raw (not adjusted); splits and dividends come from ``corporate_actions``.
    Every returned value carries ``source = self.name``.
    """

    @property
    def name(self) -> str: ...

    async def instrument(self, symbol: str) -> Instrument: ...

    async def search(self, query: str, limit: int) -> list[Instrument]: ...

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        """Quotes of the symbols it knows (unknown ones are left out, not an error)."""
        ...

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        """Daily bars with ``start <= day <= end``, oldest first."""
        ...

    async def intraday_bars(
        self, symbol: str, interval: Interval, start: datetime, end: datetime
    ) -> list[Bar]: ...

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]: ...

    async def fundamentals(self, symbol: str, period: Period) -> list[Financials]:
        """Newest period first."""
        ...

    async def news(self, symbol: str | None, limit: int) -> list[NewsItem]:
        """Newest first; ``symbol=None`` for market-wide news."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


SleepFn = Callable[[float], Awaitable[None]]


class MarketStore(Protocol):
    """The ``market_data`` schema. Each write method is one transaction."""

    async def upsert_instruments(self, instruments: Sequence[Instrument]) -> None: ...

    async def instruments(self) -> list[Instrument]:
        """Every known instrument (the universe is small enough to hold in memory)."""
        ...

    async def save_quotes(self, quotes: Sequence[Quote]) -> None:
        """Upserts the latest quote per symbol (an older timestamp never overwrites a newer one)."""
        ...

    async def latest_quotes(self, symbols: Sequence[str] | None = None) -> dict[str, Quote]: ...

    async def save_daily_bars(
        self,
        bars: Sequence[Bar],
        issues: Sequence[QualityIssue] = (),
        event: BarsImported | None = None,
    ) -> int:
        """Upserts bars by (symbol, day) in bulk, records the issues and the event in the
        same transaction; returns how many bars were written."""
        ...

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        """Oldest first, ``start <= day <= end``."""
        ...

    async def daily_bars_many(self, ranges: Sequence[tuple[str, date, date]]) -> list[list[Bar]]:
        """``daily_bars`` of each (symbol, start, end), in order, read in one query."""
        ...

    async def last_daily_dates(self) -> dict[str, date]:
        """The newest stored trading day per symbol."""
        ...

    async def save_intraday_bars(self, bars: Sequence[Bar]) -> int:
        """Upserts one-minute bars by (symbol, start)."""
        ...

    async def intraday_bars(self, symbol: str, start: datetime, end: datetime) -> list[Bar]:
        """One-minute bars with ``start <= bar.start <= end``, oldest first."""
        ...

    async def save_corporate_actions(self, actions: Sequence[CorporateAction]) -> None: ...

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        """Oldest first."""
        ...

    async def save_financials(self, items: Sequence[Financials]) -> None: ...

    async def financials(self, symbol: str, period: Period, limit: int) -> list[Financials]:
        """Newest period first."""
        ...

    async def save_news(self, items: Sequence[NewsItem]) -> None:
        """Idempotent by ``NewsItem.id``."""
        ...

    async def news(self, symbol: str | None, limit: int, since: datetime | None = None) -> list[NewsItem]:
        """Newest first; ``symbol=None`` for every item."""
        ...

    async def record_quality_issues(self, issues: Sequence[QualityIssue]) -> None: ...

    async def quality_counts(self, symbol: str | None = None) -> list[tuple[str, Severity, int]]:
        """(check, severity, count) over everything recorded."""
        ...

    async def recent_quality_issues(
        self, symbol: str | None = None, limit: int = 50
    ) -> list[QualityIssue]: ...


class SingleFlight(Protocol[KeyT, ValueT]):
    """Concurrent loads of the same key share one execution (``eqr_platform.cache.SingleFlight``)."""

    async def do(self, key: KeyT, load: Callable[[], Awaitable[ValueT]]) -> ValueT: ...


class QuoteCache(Protocol):
    """Latest quotes shared by every replica (Redis), with a short TTL."""

    async def get_many(self, symbols: Sequence[str]) -> dict[str, Quote]: ...

    async def put_many(self, quotes: Sequence[Quote]) -> None: ...


@dataclass(frozen=True)
class PackedBars:
    """Bars kept in the encoding the cache stores and the API sends, so that a long history is
    never unpacked into one object per bar. ``data`` is opaque to the use cases."""

    data: bytes
    last_day: date | None
    """The newest bar's day, or ``None`` when there are no bars."""
    source: str
    """The sources of the bars, comma-separated, in order of first appearance."""


class HistoryCache(Protocol):
    """Slices of stored history, packed, dropped when new bars for the symbol land."""

    async def get(self, symbol: str, key: str) -> PackedBars | None: ...

    async def put(self, symbol: str, key: str, bars: Sequence[Bar]) -> PackedBars:
        """Packs ``bars`` and keeps them under ``key`` (an empty slice is not kept)."""
        ...

    def unpack(self, symbol: str, interval: Interval, packed: PackedBars) -> list[Bar]: ...

    async def invalidate(self, symbol: str) -> None: ...


@dataclass(frozen=True)
class PackedCloses:
    """A slice's daily closes in the encoding the cache keeps and the batch reply carries (packed
    columns), so ten years of closes are never one object per close. ``data`` is opaque here."""

    data: bytes
    last_day: date | None
    """The newest close's day, or ``None`` when there are none."""


@dataclass(frozen=True)
class CloseSlice:
    """Where a slice of a symbol's stored closes is kept: ``key`` under the symbol's history
    ``revision`` as read before the slice was loaded, so a slice loaded while new bars landed
    is kept under the revision it is already stale for, and never found."""

    symbol: str
    revision: int
    key: str


class ClosesCache(Protocol):
    """Slices of stored daily closes, packed, shared by every replica. The revisions are the
    history cache's: ``HistoryCache.invalidate`` moves a symbol to a new one."""

    async def revisions(self, symbols: Sequence[str]) -> list[int]: ...

    async def get_closes(self, slices: Sequence[CloseSlice]) -> list[PackedCloses | None]: ...

    async def put_closes(self, slices: Sequence[tuple[CloseSlice, Sequence[Bar]]]) -> list[PackedCloses]:
        """Packs and keeps each slice; an empty one only briefly (its bars may still be on the way)."""
        ...


class RefreshMarks(Protocol):
    """When stored data last asked its sources, shared by every replica (Redis keys with a TTL)."""

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        """Sets the mark unless one is there; whether it was set (the caller should refresh)."""
        ...

    async def hold(self, key: str, ttl_seconds: float) -> None:
        """Sets the mark, replacing any (after a failed refresh: try again sooner)."""
        ...


class OverviewCache(Protocol):
    """The latest market snapshot, shared by every replica for a short time."""

    async def get(self) -> MarketSnapshot | None: ...

    async def put(self, snapshot: MarketSnapshot) -> None: ...


class QuotePublisher(Protocol):
    """Announces quotes and market snapshots to subscribers (JetStream, last value per subject)."""

    async def publish_quotes(self, quotes: Sequence[Quote]) -> None: ...

    async def publish_market(self, snapshot: MarketSnapshot) -> None: ...


class TradingCalendar(Protocol):
    def sessions(self, start: date, end: date) -> list[date]:
        """Trading days with ``start <= day <= end``."""
        ...

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        """Open and close of a trading day, UTC-aware."""
        ...

    def is_open(self, at: datetime) -> bool: ...


class QuoteFeed(Protocol):
    """Live quote updates as they are published, whichever replica published them."""

    def subscribe(self, symbols: Sequence[str]) -> AsyncIterator[Quote]: ...


@dataclass(frozen=True)
class Tick:
    """What one step of a live market produced."""

    quotes: list[Quote]
    finished_minutes: list[Bar] = field(default_factory=list)
    """One-minute bars that this step completed."""
    finished_days: list[Bar] = field(default_factory=list)
    """Daily bars of a trading day that this step closed."""


class LiveMarket(Protocol):
    """A source that moves by itself (the simulator), stepped by the service's ticker."""

    def advance(self, now: datetime) -> Tick: ...
