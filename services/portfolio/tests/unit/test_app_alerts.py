"""Alert use cases and live evaluation against in-memory ports: access, validation, paging,
once-per-crossing firing, throttled revaluation, book invalidation and the drawdown peak."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any
from uuid import UUID, uuid4

import numpy as np
import pytest

from eqr_portfolio.app import alerts as alert_cases
from eqr_portfolio.app.caller import Caller
from eqr_portfolio.app.dependencies import Dependencies, Limits
from eqr_portfolio.app.live import LiveValuation
from eqr_portfolio.app.ports import CloseSeries, ClosesQuery, InstrumentFacts, MarketQuote
from eqr_portfolio.domain.access import AccessRole
from eqr_portfolio.domain.alerts import (
    Alert,
    AlertDefinition,
    AlertKind,
    AlertState,
    QuoteObservation,
    RecordedTrigger,
)
from eqr_portfolio.domain.book import Book
from eqr_portfolio.domain.errors import NotFound, PermissionDenied, ValidationFailed
from eqr_portfolio.domain.events import AlertTriggered, DomainEvent
from eqr_portfolio.domain.history import Change
from eqr_portfolio.domain.transactions import LedgerPolicy, Portfolio, Transaction, TransactionKind
from eqr_portfolio.domain.valuation import Quote, Valuation

D = Decimal
T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
DAY = date(2025, 3, 3)
OWNER, EDITOR, VIEWER, STRANGER = (UUID(int=n) for n in (1, 2, 3, 4))


# In-memory ports. Writes land at once; events only on commit, as the outbox does.


@dataclass
class Store:
    portfolios: dict[UUID, Portfolio] = field(default_factory=dict)
    roles: dict[tuple[UUID, UUID], AccessRole] = field(default_factory=dict)
    ledgers: dict[UUID, list[Transaction]] = field(default_factory=dict)
    alerts: dict[UUID, Alert] = field(default_factory=dict)
    deleted_alerts: set[UUID] = field(default_factory=set)
    triggers: list[RecordedTrigger] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)
    stale_snapshots: dict[UUID, Alert] = field(default_factory=dict)
    """What the unlocked queries return instead of the stored alert: another replica moved it since."""


class FakePortfolios:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, portfolio_id: UUID, *, for_update: bool = False) -> Portfolio | None:
        return self.store.portfolios.get(portfolio_id)

    async def role_of(self, portfolio_id: UUID, user_id: UUID) -> AccessRole | None:
        if portfolio_id not in self.store.portfolios:
            return None
        return self.store.roles.get((portfolio_id, user_id))

    async def audience(self, portfolio_id: UUID) -> list[UUID]:
        return sorted(user for (p, user) in self.store.roles if p == portfolio_id)


class FakeTransactions:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def ledger(self, portfolio_id: UUID) -> list[Transaction]:
        return list(self.store.ledgers.get(portfolio_id, []))


class FakeChanges:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, change: Change) -> None:
        self.store.changes.append(change)


class FakeAlerts:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _active(self) -> list[Alert]:
        return [
            self.store.stale_snapshots.get(a.id, a)
            for a in self.store.alerts.values()
            if a.id not in self.store.deleted_alerts and a.portfolio_id in self.store.portfolios
        ]

    async def add(self, alert: Alert) -> None:
        self.store.alerts[alert.id] = alert

    async def for_portfolio(self, portfolio_id: UUID) -> list[Alert]:
        return [a for a in self._active() if a.portfolio_id == portfolio_id]

    async def delete(self, portfolio_id: UUID, alert_id: UUID, at: datetime) -> Alert | None:
        alert = self.store.alerts.get(alert_id)
        if alert is None or alert.portfolio_id != portfolio_id or alert_id in self.store.deleted_alerts:
            return None
        self.store.deleted_alerts.add(alert_id)
        return alert

    async def active_for_symbols(self, symbols: Collection[str]) -> list[Alert]:
        return [a for a in self._active() if a.definition.symbol in symbols]

    async def active_for_portfolios(self, portfolio_ids: Collection[UUID]) -> list[Alert]:
        return [a for a in self._active() if a.portfolio_id in portfolio_ids and a.definition.symbol is None]

    async def lock(self, alert_id: UUID) -> Alert | None:
        alert = self.store.alerts.get(alert_id)
        active = alert is not None and alert_id not in self.store.deleted_alerts
        return alert if active else None

    async def update_state(
        self, alert_id: UUID, state: AlertState, last_triggered_at: datetime | None
    ) -> None:
        alert = self.store.alerts[alert_id]
        self.store.alerts[alert_id] = replace(alert, state=state, last_triggered_at=last_triggered_at)

    async def add_trigger(self, trigger: RecordedTrigger) -> None:
        self.store.triggers.append(trigger)

    async def triggers(
        self, portfolio_id: UUID, *, before: tuple[datetime, UUID] | None, limit: int
    ) -> list[RecordedTrigger]:
        rows = sorted(
            (t for t in self.store.triggers if t.portfolio_id == portfolio_id),
            key=lambda t: (t.triggered_at, t.id),
            reverse=True,
        )
        if before is not None:
            rows = [t for t in rows if (t.triggered_at, t.id) < before]
        return rows[:limit]


class FakeUnitOfWork:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.portfolios = FakePortfolios(store)
        self.transactions = FakeTransactions(store)
        self.changes = FakeChanges(store)
        self.alerts = FakeAlerts(store)
        self._events: list[DomainEvent] = []

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        self.store.events.extend(self._events)
        self._events = []


@dataclass
class FakeMarketData:
    quoted: dict[str, MarketQuote] = field(default_factory=dict)
    known: set[str] = field(default_factory=lambda: {"AAPL", "MSFT"})
    asked: list[list[str]] = field(default_factory=list)

    async def quotes(self, symbols: Collection[str]) -> dict[str, MarketQuote]:
        self.asked.append(sorted(symbols))
        return {s: self.quoted[s] for s in symbols if s in self.quoted}

    async def instruments(self, symbols: Collection[str]) -> dict[str, InstrumentFacts]:
        return {s: InstrumentFacts(s, s, "Technology", "Software", "USD") for s in symbols if s in self.known}

    async def close_series(self, queries: Sequence[ClosesQuery]) -> list[CloseSeries]:
        return [CloseSeries(np.zeros(0, np.int64), np.zeros(0)) for _ in queries]


@dataclass
class FakeClock:
    at: datetime = T0

    def now(self) -> datetime:
        return self.at


@dataclass
class Published:
    portfolio_id: UUID
    market_value: Decimal
    unpriced: tuple[str, ...]
    valued_at: datetime


@dataclass
class FakePublisher:
    published: list[Published] = field(default_factory=list)

    async def publish_valuation(
        self,
        portfolio: Portfolio,
        book: Book,
        valuation: Valuation,
        quotes: Mapping[str, Quote],
        valued_at: datetime,
    ) -> None:
        self.published.append(
            Published(portfolio.id, valuation.totals.market_value, valuation.unpriced, valued_at)
        )


class FakeLedgerIndex:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def traded_symbols(self) -> list[tuple[UUID, str]]:
        return sorted(
            {(p, t.symbol) for p, ledger in self.store.ledgers.items() for t in ledger if t.symbol},
            key=str,
        )


@dataclass
class World:
    store: Store
    deps: Dependencies
    market: FakeMarketData
    clock: FakeClock
    publisher: FakePublisher
    live: LiveValuation
    portfolio_id: UUID

    def quote(self, symbol: str, price: str, previous_close: str = "100") -> None:
        """A quote event, one second after the previous one."""
        self.clock.at += timedelta(seconds=1)
        self.live.quote_received(QuoteObservation(symbol, D(price), D(previous_close), self.clock.at))

    async def tick(self, *prices: str, symbol: str = "AAPL") -> None:
        for price in prices:
            self.quote(symbol, price)
        await self.live.tick()

    def add_alert(self, kind: AlertKind, threshold: str, symbol: str | None = None) -> Alert:
        alert = Alert(
            uuid4(),
            self.portfolio_id,
            AlertDefinition(kind, D(threshold), symbol),
            AlertState(),
            "",
            OWNER,
            T0,
        )
        self.store.alerts[alert.id] = alert
        return alert

    def record(self, kind: TransactionKind, **fields: Any) -> None:
        ledger = self.store.ledgers.setdefault(self.portfolio_id, [])
        ledger.append(Transaction(uuid4(), kind, DAY, len(ledger) + 1, **fields))


@pytest.fixture
def world() -> World:
    store = Store()
    portfolio = Portfolio(uuid4(), OWNER, "Core", "", "USD", None, LedgerPolicy(), T0, T0)
    store.portfolios[portfolio.id] = portfolio
    store.roles.update(
        {
            (portfolio.id, OWNER): AccessRole.OWNER,
            (portfolio.id, EDITOR): AccessRole.EDITOR,
            (portfolio.id, VIEWER): AccessRole.VIEWER,
        }
    )
    market, clock, publisher = FakeMarketData(), FakeClock(), FakePublisher()
    deps = Dependencies(
        unit_of_work=lambda: FakeUnitOfWork(store),  # type: ignore[arg-type,return-value]
        clock=clock,
        market_data=market,
        directory=None,  # type: ignore[arg-type]
        options=None,  # type: ignore[arg-type]
        limits=Limits(),
    )
    live = LiveValuation(deps, FakeLedgerIndex(store), publisher, interval=timedelta(seconds=1))
    return World(store, deps, market, clock, publisher, live, portfolio.id)


def armed(world: World, alert: Alert) -> bool:
    return world.store.alerts[alert.id].state.armed


# Use cases.


async def test_an_editor_creates_an_armed_alert_and_the_change_is_recorded(world: World) -> None:
    alert = await alert_cases.create_alert(
        world.deps,
        Caller(EDITOR),
        world.portfolio_id,
        kind=AlertKind.PRICE_ABOVE,
        threshold=D("200.50"),
        symbol=" aapl ",
        note=" breakout ",
    )

    assert (alert.definition.symbol, alert.definition.threshold, alert.note) == (
        "AAPL",
        D("200.50"),
        "breakout",
    )
    assert alert.state == AlertState(armed=True)
    assert await alert_cases.list_alerts(world.deps, Caller(VIEWER), world.portfolio_id) == [alert]
    (change,) = world.store.changes
    assert (change.action, change.actor_id, change.subject_id) == ("alert.created", EDITOR, str(alert.id))
    assert change.details == {
        "kind": "price_above",
        "symbol": "AAPL",
        "threshold": "200.50",
        "note": "breakout",
    }


@pytest.mark.parametrize(
    ("caller", "error"), [(VIEWER, PermissionDenied), (STRANGER, NotFound)], ids=["viewer", "stranger"]
)
async def test_only_those_who_may_write_create_alerts(
    world: World, caller: UUID, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await alert_cases.create_alert(
            world.deps,
            Caller(caller),
            world.portfolio_id,
            kind=AlertKind.PRICE_BELOW,
            threshold=D(1),
            symbol="AAPL",
        )
    assert world.store.alerts == {}


async def test_strangers_cannot_read_alerts_or_triggers(world: World) -> None:
    with pytest.raises(NotFound):
        await alert_cases.list_alerts(world.deps, Caller(STRANGER), world.portfolio_id)
    with pytest.raises(NotFound):
        await alert_cases.list_triggers(world.deps, Caller(STRANGER), world.portfolio_id)


@pytest.mark.parametrize(
    ("kind", "threshold", "symbol", "note", "field"),
    [
        (AlertKind.PRICE_ABOVE, "200", "NOPE", "", "symbol"),
        (AlertKind.PORTFOLIO_DRAWDOWN, "10", "AAPL", "", "symbol"),
        (AlertKind.PRICE_ABOVE, "200.00000000001", "AAPL", "", "threshold"),
        (AlertKind.PORTFOLIO_VALUE_ABOVE, "1e18", None, "", "threshold"),
        (AlertKind.PRICE_ABOVE, "200", "AAPL", "two\nlines", "note"),
        (AlertKind.PRICE_ABOVE, "200", "AAPL", "x" * 1001, "note"),
    ],
    ids=["unknown-symbol", "symbol-on-portfolio-alert", "11-decimals", "19-digits", "newline", "long-note"],
)
async def test_bad_alerts_are_refused_naming_the_field(
    world: World, kind: AlertKind, threshold: str, symbol: str | None, note: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await alert_cases.create_alert(
            world.deps,
            Caller(OWNER),
            world.portfolio_id,
            kind=kind,
            threshold=D(threshold),
            symbol=symbol,
            note=note,
        )
    assert [v.field for v in refused.value.violations] == [field]


async def test_deleting_an_alert_keeps_its_history_and_a_second_delete_is_not_found(world: World) -> None:
    alert = world.add_alert(AlertKind.PRICE_ABOVE, "200", "AAPL")
    await world.tick("201")

    await alert_cases.delete_alert(world.deps, Caller(EDITOR), world.portfolio_id, alert.id)

    assert await alert_cases.list_alerts(world.deps, Caller(OWNER), world.portfolio_id) == []
    page = await alert_cases.list_triggers(world.deps, Caller(VIEWER), world.portfolio_id)
    assert [t.alert_id for t in page.triggers] == [alert.id]
    assert world.store.changes[-1].action == "alert.deleted"
    with pytest.raises(NotFound):
        await alert_cases.delete_alert(world.deps, Caller(EDITOR), world.portfolio_id, alert.id)
    with pytest.raises(PermissionDenied):
        await alert_cases.delete_alert(world.deps, Caller(VIEWER), world.portfolio_id, alert.id)


async def test_triggers_are_paged_newest_first(world: World) -> None:
    world.add_alert(AlertKind.PRICE_ABOVE, "200", "AAPL")
    for _ in range(5):  # each pair fires once: up through 200, then down past the band
        await world.tick("201", "190")
    expected = sorted(world.store.triggers, key=lambda t: t.triggered_at, reverse=True)

    pages, token = [], ""
    while True:
        page = await alert_cases.list_triggers(
            world.deps, Caller(VIEWER), world.portfolio_id, page_size=2, page_token=token
        )
        pages.append(page.triggers)
        if not (token := page.next_page_token):
            break

    assert [len(p) for p in pages] == [2, 2, 1]
    assert [t for p in pages for t in p] == expected
    with pytest.raises(ValidationFailed) as refused:
        await alert_cases.list_triggers(world.deps, Caller(VIEWER), world.portfolio_id, page_token="garbage")
    assert refused.value.violations[0].field == "page_token"


# Live evaluation of price alerts.


async def test_a_price_alert_fires_once_per_crossing_and_rearms_past_its_band(world: World) -> None:
    alert = world.add_alert(AlertKind.PRICE_ABOVE, "200", "AAPL")  # band 0.5%: re-arms below 199
    armed_after = []
    for prices in (["199"], ["201"], ["202"], ["205", "203"], ["199.5"], ["198.9"], ["200"], ["210"]):
        await world.tick(*prices)
        armed_after.append(armed(world, alert))

    assert armed_after == [True, False, False, False, False, True, False, False]
    assert [t.observed for t in world.store.triggers] == [D(201), D(200)]
    assert world.store.alerts[alert.id].last_triggered_at == world.store.triggers[-1].triggered_at
    events = [e for e in world.store.events if isinstance(e, AlertTriggered)]
    assert [e.trigger for e in events] == world.store.triggers
    assert all(e.recipient_ids == (OWNER, EDITOR, VIEWER) for e in events)
    assert events[0].trigger.message == "AAPL rose above 200.00 (201.00)"


async def test_a_crossing_that_comes_and_goes_between_two_ticks_still_fires(world: World) -> None:
    world.add_alert(AlertKind.PRICE_ABOVE, "200", "AAPL")

    await world.tick("201", "198", "201.5", "199.5")

    assert [t.observed for t in world.store.triggers] == [D(201), D("201.5")]


async def test_an_older_or_repeated_quote_is_ignored(world: World) -> None:
    world.add_alert(AlertKind.PRICE_BELOW, "100", "AAPL")
    world.quote("AAPL", "101")
    late = QuoteObservation("AAPL", D(99), D(100), world.clock.at - timedelta(seconds=5))
    world.live.quote_received(late)
    await world.live.tick()

    assert world.store.triggers == []


async def test_a_transition_another_evaluator_already_made_is_not_repeated(world: World) -> None:
    alert = world.add_alert(AlertKind.PRICE_ABOVE, "200", "AAPL")
    await world.tick("201")
    world.store.stale_snapshots[alert.id] = replace(alert, state=AlertState())  # read before it fired

    await world.tick("202")

    assert len(world.store.triggers) == 1
    assert not armed(world, alert)


async def test_deleted_alerts_and_other_symbols_do_not_fire(world: World) -> None:
    deleted = world.add_alert(AlertKind.PRICE_ABOVE, "200", "AAPL")
    world.store.deleted_alerts.add(deleted.id)
    world.add_alert(AlertKind.PRICE_ABOVE, "200", "MSFT")

    await world.tick("250")

    assert world.store.triggers == []


# Live valuation and portfolio alerts.


def fund(world: World) -> None:
    """10,000 deposited, 50 AAPL bought at 100: 5,000 cash left."""
    world.record(TransactionKind.DEPOSIT, amount=D(10_000))
    world.record(TransactionKind.BUY, symbol="AAPL", quantity=D(50), price=D(100))


async def test_a_portfolio_is_valued_once_per_tick_however_many_quotes_arrive(world: World) -> None:
    fund(world)
    assert await world.live.seed()

    await world.tick("101", "102", "104")
    await world.tick("1000", symbol="MSFT")  # not held: nothing to revalue

    (only,) = world.publisher.published
    assert only.market_value == D(5_000) + 50 * D(104)
    assert only.valued_at == world.clock.at - timedelta(seconds=1)


async def test_a_ledger_change_replays_the_book_and_revalues_without_a_quote(world: World) -> None:
    fund(world)
    await world.live.seed()
    await world.tick("110")
    world.record(TransactionKind.BUY, symbol="AAPL", quantity=D(10), price=D(100))

    world.live.ledger_changed(world.portfolio_id)
    await world.live.tick()

    # A cheap fill: 5,000 - 1,000 cash and 60 shares at 110.
    assert [p.market_value for p in world.publisher.published] == [D(10_500), D(4_000) + 60 * D(110)]


async def test_missed_ledger_events_replay_every_book_and_find_new_portfolios(world: World) -> None:
    fund(world)
    await world.live.seed()
    await world.tick("110")
    # Written while no consumer was there to hear of it: a fill and a whole new portfolio.
    world.record(TransactionKind.BUY, symbol="AAPL", quantity=D(10), price=D(100))
    newcomer = Portfolio(uuid4(), OWNER, "New", "", "USD", None, LedgerPolicy(), T0, T0)
    world.store.portfolios[newcomer.id] = newcomer
    world.store.ledgers[newcomer.id] = [
        Transaction(uuid4(), TransactionKind.BUY, DAY, 1, symbol="AAPL", quantity=D(1), price=D(100))
    ]

    world.live.ledger_events_missed()
    await world.tick("110")

    latest = {p.portfolio_id: p.market_value for p in world.publisher.published[1:]}
    assert latest == {
        world.portfolio_id: D(4_000) + 60 * D(110),
        newcomer.id: D(110),
    }  # tracking cash: an implied deposit


async def test_holdings_without_a_streamed_quote_are_priced_from_market_data(world: World) -> None:
    fund(world)
    world.record(TransactionKind.BUY, symbol="MSFT", quantity=D(10), price=D(300))
    world.market.quoted["MSFT"] = MarketQuote("MSFT", D(310), D(305), T0, stale=False)
    await world.live.seed()

    await world.tick("100")
    await world.tick("101")

    # 2,000 cash + 50 x 101 + 10 x 310; MSFT was asked for once and then remembered.
    assert world.publisher.published[-1].market_value == D(2_000) + D(5_050) + D(3_100)
    assert world.market.asked == [["MSFT"]]


async def test_value_alerts_wait_until_every_holding_is_priced(world: World) -> None:
    fund(world)
    world.record(TransactionKind.BUY, symbol="MSFT", quantity=D(10), price=D(300))
    world.add_alert(AlertKind.PORTFOLIO_VALUE_ABOVE, "1")
    await world.live.seed()

    await world.tick("100")  # MSFT has no quote anywhere: valued at cost, unpriced

    assert world.publisher.published[-1].unpriced == ("MSFT",)
    assert world.store.triggers == []


async def test_a_value_alert_fires_once_per_crossing(world: World) -> None:
    fund(world)
    world.add_alert(AlertKind.PORTFOLIO_VALUE_ABOVE, "11000")  # 5,000 cash + 50 x 120 = 11,000
    await world.live.seed()

    for price in ("110", "120", "130", "119", "118", "120"):
        await world.tick(price)

    # Re-arms below 11,000 - 0.5% = 10,945: at 118 (10,900), not at 119 (10,950).
    assert [t.observed for t in world.store.triggers] == [D(11_000), D(11_000)]


async def test_a_withdrawal_is_not_a_drawdown_but_a_fall_from_the_peak_is(world: World) -> None:
    fund(world)
    world.add_alert(AlertKind.PORTFOLIO_DRAWDOWN, "10")
    await world.live.seed()
    await world.tick("100")  # 10,000
    await world.tick("120")  # 11,000: the peak

    world.record(TransactionKind.WITHDRAWAL, amount=D(4_000))
    world.live.ledger_changed(world.portfolio_id)
    await world.live.tick()  # 1,000 cash + 6,000: the peak moves down by the 4,000 withdrawn
    assert world.store.triggers == []

    await world.tick("107")  # 6,350: 9.29% below 7,000
    assert world.store.triggers == []
    await world.tick("105.6")  # 6,280: 1 - 6,280 / 7,000 = 10.2857...%
    (trigger,) = world.store.triggers
    assert trigger.observed.quantize(D("0.0001")) == D("10.2857")
    assert trigger.message == "Portfolio is 10.29% below its peak of 7,000.00 (threshold 10.00%)"


async def test_replicas_measure_a_drawdown_from_one_stored_peak(world: World) -> None:
    fund(world)
    world.add_alert(AlertKind.PORTFOLIO_DRAWDOWN, "10")
    await world.live.seed()
    await world.tick("140")  # 12,000: the peak
    await world.tick("115")  # 10,750: 10.4% down, fires
    assert len(world.store.triggers) == 1

    # A replica (or a restart) that first sees the portfolio after the fall neither re-arms
    # the alert nor fires it again: it measures from the stored peak, not from its first value.
    replica = LiveValuation(
        world.deps, FakeLedgerIndex(world.store), world.publisher, interval=timedelta(seconds=1)
    )
    await replica.seed()
    for price in ("114", "116", "113"):
        world.quote("AAPL", price)
        replica.quote_received(QuoteObservation("AAPL", D(price), D(100), world.clock.at))
        await replica.tick()
        await world.live.tick()
    assert len(world.store.triggers) == 1
    (alert,) = world.store.alerts.values()
    assert (alert.state.peak, alert.state.armed) == (D(12_000), False)


async def test_a_deleted_portfolio_is_no_longer_valued(world: World) -> None:
    fund(world)
    await world.live.seed()
    await world.tick("100")

    world.live.portfolio_deleted(world.portfolio_id)
    await world.tick("101")
    del world.store.portfolios[world.portfolio_id]
    world.live.ledger_changed(world.portfolio_id)  # a late event for it
    await world.tick("102")

    assert len(world.publisher.published) == 1
