"""What the use cases need from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

import numpy as np
import numpy.typing as npt

from eqr_portfolio.domain.access import AccessRole, Share
from eqr_portfolio.domain.alerts import Alert, AlertState, RecordedTrigger
from eqr_portfolio.domain.book import Book
from eqr_portfolio.domain.events import DomainEvent
from eqr_portfolio.domain.history import Change
from eqr_portfolio.domain.option_contracts import OptionContract
from eqr_portfolio.domain.templates import PortfolioTemplate
from eqr_portfolio.domain.transactions import Portfolio, Transaction
from eqr_portfolio.domain.valuation import PositionGreeks, Quote, Valuation


@dataclass(frozen=True)
class MarketQuote:
    symbol: str
    price: Decimal
    previous_close: Decimal
    as_of: datetime
    stale: bool


@dataclass(frozen=True)
class InstrumentFacts:
    symbol: str
    name: str
    sector: str
    industry: str
    currency: str


@dataclass(frozen=True)
class ClosesQuery:
    symbol: str
    start: date
    end: date
    adjusted: bool


@dataclass(frozen=True)
class CloseSeries:
    """A symbol's closes on the trading days of a range, as arrays: ``ordinals`` are the days'
    ``date.toordinal()``, ascending, and ``closes`` the float64 prices market-data keeps
    (``Decimal(str(close))`` is the price the source quoted)."""

    ordinals: npt.NDArray[np.int64]
    closes: npt.NDArray[np.float64]


class MarketData(Protocol):
    """The market-data service; unknown symbols are simply absent from the answers."""

    async def quotes(self, symbols: Collection[str]) -> dict[str, MarketQuote]: ...

    async def instruments(self, symbols: Collection[str]) -> dict[str, InstrumentFacts]: ...

    async def close_series(self, queries: Sequence[ClosesQuery]) -> list[CloseSeries]:
        """Each query's closes of the trading days in [start, end], in query order, asked in one
        round trip; empty for an unknown symbol."""
        ...


@dataclass(frozen=True)
class OptionMark:
    """An option position marked by the options service: the premium per share now and at the
    underlying's previous close, where the premium came from, and the position's Greeks."""

    price: Decimal
    previous_price: Decimal
    source: str
    """``chain_mid``, ``model`` or ``intrinsic`` (expired)."""
    underlying_price: float
    implied_vol: float
    greeks: PositionGreeks


class OptionPricing(Protocol):
    """The options service."""

    async def marks(
        self, positions: Mapping[OptionContract, Decimal], as_of: date | None = None
    ) -> dict[OptionContract, OptionMark]:
        """Each contract held (signed quantity in contracts) marked now, or at the close of ``as_of``;
        absent when its underlying is unknown."""
        ...


@dataclass(frozen=True)
class UserRef:
    id: UUID
    email: str


class Directory(Protocol):
    """The auth service's accounts, for sharing by email."""

    async def find_user(self, email: str) -> UserRef | None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class PortfolioRepository(Protocol):
    async def add(self, portfolio: Portfolio) -> None: ...
    async def get(self, portfolio_id: UUID, *, for_update: bool = False) -> Portfolio | None: ...
    async def update(self, portfolio: Portfolio) -> None: ...
    async def delete(self, portfolio_id: UUID, at: datetime) -> None: ...
    async def role_of(self, portfolio_id: UUID, user_id: UUID) -> AccessRole | None: ...
    async def list_visible(
        self, user_id: UUID, *, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[tuple[Portfolio, AccessRole]]: ...
    async def audience(self, portfolio_id: UUID) -> list[UUID]: ...


class ShareRepository(Protocol):
    async def put(self, share: Share) -> None: ...
    async def list(self, portfolio_id: UUID) -> list[Share]: ...
    async def remove(self, portfolio_id: UUID, user_id: UUID) -> bool: ...


class TransactionRepository(Protocol):
    async def add_many(self, portfolio_id: UUID, entries: Sequence[Transaction]) -> list[Transaction]: ...
    async def get(self, portfolio_id: UUID, transaction_id: UUID) -> Transaction | None: ...
    async def ledger(self, portfolio_id: UUID) -> list[Transaction]: ...
    async def page(
        self,
        portfolio_id: UUID,
        *,
        include_deleted: bool,
        symbol: str | None,
        after: tuple[date, int] | None,
        limit: int,
    ) -> list[Transaction]: ...
    async def replace(self, transaction: Transaction) -> None: ...
    async def set_deleted(self, transaction_id: UUID, deleted_at: datetime | None) -> None: ...


class ChangeRepository(Protocol):
    async def record(self, change: Change) -> None: ...
    async def page(self, portfolio_id: UUID, *, before: int | None, limit: int) -> list[Change]: ...


class TemplateRepository(Protocol):
    async def add(self, template_id: UUID, owner_id: UUID, template: PortfolioTemplate) -> None: ...
    async def list(self, owner_id: UUID) -> list[tuple[UUID, PortfolioTemplate]]: ...
    async def remove(self, owner_id: UUID, template_id: UUID) -> bool: ...


class AlertRepository(Protocol):
    """Active alerts: neither they nor their portfolio are deleted."""

    async def add(self, alert: Alert) -> None: ...
    async def for_portfolio(self, portfolio_id: UUID) -> list[Alert]: ...
    async def delete(self, portfolio_id: UUID, alert_id: UUID, at: datetime) -> Alert | None: ...
    async def active_for_symbols(self, symbols: Collection[str]) -> list[Alert]: ...
    async def active_for_portfolios(self, portfolio_ids: Collection[UUID]) -> list[Alert]: ...
    async def lock(self, alert_id: UUID) -> Alert | None: ...
    async def update_state(
        self, alert_id: UUID, state: AlertState, last_triggered_at: datetime | None
    ) -> None: ...
    async def add_trigger(self, trigger: RecordedTrigger) -> None: ...
    async def triggers(
        self, portfolio_id: UUID, *, before: tuple[datetime, UUID] | None, limit: int
    ) -> list[RecordedTrigger]: ...


class LedgerIndex(Protocol):
    async def traded_symbols(self) -> list[tuple[UUID, str]]:
        """(portfolio id, symbol) for every symbol with a live entry in a live portfolio's ledger."""
        ...


class ValuationPublisher(Protocol):
    """Live values for the WebSocket: derived, recomputed every tick, so published directly."""

    async def publish_valuation(
        self,
        portfolio: Portfolio,
        book: Book,
        valuation: Valuation,
        quotes: Mapping[str, Quote],
        valued_at: datetime,
    ) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: the repositories' writes and the recorded events commit together."""

    @property
    def portfolios(self) -> PortfolioRepository: ...
    @property
    def shares(self) -> ShareRepository: ...
    @property
    def transactions(self) -> TransactionRepository: ...
    @property
    def changes(self) -> ChangeRepository: ...
    @property
    def templates(self) -> TemplateRepository: ...
    @property
    def alerts(self) -> AlertRepository: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None: ...
    def record(self, event: DomainEvent) -> None: ...
    async def commit(self) -> None: ...
