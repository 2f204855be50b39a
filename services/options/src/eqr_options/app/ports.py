"""What the use cases need from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from eqr_options.app.legs import LegSpec
from eqr_options.domain.arrays import FloatArray


@dataclass(frozen=True)
class UnderlyingMarket:
    """What market-data says about an underlying on a day: its price (the live quote, or that
    day's close), the close before it, a year of daily closes up to it (adjusted for splits and
    dividends, oldest first) and the cash dividends that went ex in that year."""

    symbol: str
    price: float
    previous_close: float
    as_of: datetime
    source: str
    closes: FloatArray
    dividends: tuple[tuple[date, float], ...]
    settled_closes: tuple[tuple[date, float], ...] = ()
    """The raw closes of the completed days of that year, oldest first: what an option that
    expired on one of them settles at."""

    def close_on_or_before(self, day: date) -> float | None:
        before = [close for settled, close in self.settled_closes if settled <= day]
        return before[-1] if before else None


class MarketData(Protocol):
    async def underlying(self, symbol: str, day: date, *, live: bool) -> UnderlyingMarket | None:
        """The underlying on ``day``: at its live quote when ``live``, else at that day's close
        (the last on or before it); None when market-data does not know the symbol or has no
        price by then."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for cache lifetimes."""
        ...


@dataclass(frozen=True)
class SavedStrategy:
    id: UUID
    owner: UUID
    symbol: str
    name: str
    legs: tuple[LegSpec, ...]
    notes: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SavedPosition:
    """Where a page of saved strategies stopped: the last one's creation time and id."""

    created_at: datetime
    id: UUID


class StrategyRepository(Protocol):
    async def add(self, strategy: SavedStrategy) -> None: ...

    async def get(self, owner: UUID, strategy_id: UUID) -> SavedStrategy | None: ...

    async def replace(self, strategy: SavedStrategy) -> bool:
        """Store the new content of the owner's strategy; False when there is none with that id."""
        ...

    async def remove(self, owner: UUID, strategy_id: UUID) -> bool: ...

    async def page(
        self, owner: UUID, *, symbol: str | None, after: SavedPosition | None, limit: int
    ) -> Sequence[SavedStrategy]:
        """The owner's strategies after ``after`` in (created_at, id) order, at most ``limit``."""
        ...


class UnitOfWork(Protocol):
    @property
    def strategies(self) -> StrategyRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...
