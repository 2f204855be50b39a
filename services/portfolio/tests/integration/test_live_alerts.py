"""Alerts and live values against real PostgreSQL and JetStream.

A price alert driven by quote events through the durable consumer fires once however many
ticks stay above its threshold, re-arms below, fires again; each trigger is stored, and its
``AlertTriggered`` event goes through the outbox onto the PORTFOLIO stream for the portfolio's
audience. The portfolio's live value lands on its own stream, last value kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import nats
import numpy as np
import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from eqr.market_data.v1 import events_pb2 as market_events
from eqr.market_data.v1 import resources_pb2 as market_resources
from eqr.portfolio.v1 import events_pb2
from eqr_platform import bus
from eqr_platform.bus import consume_until_stopped
from eqr_platform.db import OutboxRelay
from eqr_platform.protobuf import timestamp_pb
from eqr_portfolio.adapters.clock import SystemClock
from eqr_portfolio.adapters.db.ledger_index import SqlLedgerIndex
from eqr_portfolio.adapters.db.tables import outbox
from eqr_portfolio.adapters.db.unit_of_work import SqlUnitOfWork
from eqr_portfolio.adapters.nats.events import STREAM
from eqr_portfolio.adapters.nats.quotes import QUOTES_CONSUMER, quote_handler
from eqr_portfolio.adapters.nats.valuations import VALUES_STREAM, JetStreamValuationPublisher, value_subject
from eqr_portfolio.app import alerts as alert_cases
from eqr_portfolio.app.caller import Caller
from eqr_portfolio.app.dependencies import Dependencies, Limits
from eqr_portfolio.app.live import LiveValuation
from eqr_portfolio.app.ports import CloseSeries, ClosesQuery, InstrumentFacts, MarketQuote
from eqr_portfolio.domain.access import AccessRole, Share
from eqr_portfolio.domain.alerts import AlertKind, AlertState, RecordedTrigger
from eqr_portfolio.domain.book import replay
from eqr_portfolio.domain.transactions import LedgerPolicy, Portfolio, Transaction, TransactionKind
from eqr_portfolio.domain.valuation import value_book

D = Decimal
QUOTES_STREAM = bus.StreamSpec(
    "MARKET_DATA_QUOTES",
    ["eqr.market-data.quote.updated.>", "eqr.market-data.market.updated"],
    max_msgs_per_subject=1,
    max_age_seconds=7 * 86_400,
)
"""Market data's quote stream, as market data declares it."""
INTERVAL = timedelta(seconds=1)


class SteppingClock:
    """The test moves time on: one live tick per second, as the loop would."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at


class KnownSymbols:
    """Market data that knows ``symbols`` and has no quotes: the stream brings them."""

    def __init__(self, *symbols: str) -> None:
        self._symbols = set(symbols)

    async def quotes(self, symbols: Collection[str]) -> dict[str, MarketQuote]:
        return {}

    async def instruments(self, symbols: Collection[str]) -> dict[str, InstrumentFacts]:
        return {
            s: InstrumentFacts(s, s, "Technology", "Software", "USD") for s in symbols if s in self._symbols
        }

    async def close_series(self, queries: Sequence[ClosesQuery]) -> list[CloseSeries]:
        return [CloseSeries(np.zeros(0, np.int64), np.zeros(0)) for _ in queries]


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    client, js = await bus.connect(nats_url, name="portfolio-live-alerts-test")
    await bus.ensure_streams(js, [QUOTES_STREAM, STREAM, VALUES_STREAM])
    yield js
    await client.close()


def _symbol() -> str:
    """A symbol of this test's own, so other publishers on the stream cannot move it."""
    return f"T{uuid4().hex[:7].upper()}"


async def _portfolio(sessions: async_sessionmaker[AsyncSession], owner: UUID, *ledger: Transaction) -> UUID:
    now = datetime.now(UTC)
    portfolio = Portfolio(uuid4(), owner, "Live", "", "USD", None, LedgerPolicy(), now, now)
    async with SqlUnitOfWork(sessions) as uow:
        await uow.portfolios.add(portfolio)
        await uow.transactions.add_many(portfolio.id, list(ledger))
        await uow.commit()
    return portfolio.id


def _entry(kind: TransactionKind, owner: UUID, **fields: Any) -> Transaction:
    return Transaction(
        uuid4(), kind, date(2025, 3, 3), 0, created_by=owner, created_at=datetime.now(UTC), **fields
    )


def _quote_event(symbol: str, price: float, at: datetime) -> bytes:
    quote = market_resources.Quote(
        symbol=symbol, price=price, previous_close=195.0, timestamp=timestamp_pb(at)
    )
    return market_events.QuoteUpdated(quote=quote).SerializeToString()


async def _stream_messages(nats_url: str, subject: str) -> list[bytes]:
    client = await nats.connect(nats_url)
    try:
        subscription = await client.jetstream().subscribe(
            subject, ordered_consumer=True, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        )
        received = []
        while True:
            try:
                received.append((await subscription.next_msg(timeout=1.0)).data)
            except nats.errors.TimeoutError:
                return received
    finally:
        await client.close()


async def test_a_price_alert_fires_once_per_crossing_and_reaches_jetstream(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], js: JetStreamContext, nats_url: str
) -> None:
    symbol, owner, friend, clock = _symbol(), uuid4(), uuid4(), SteppingClock()
    deps = Dependencies(
        unit_of_work=lambda: SqlUnitOfWork(sessions),
        clock=clock,
        market_data=KnownSymbols(symbol),
        directory=None,  # type: ignore[arg-type]
        options=None,  # type: ignore[arg-type]
        limits=Limits(),
    )
    portfolio_id = await _portfolio(
        sessions,
        owner,
        _entry(TransactionKind.DEPOSIT, owner, amount=D(10_000)),
        _entry(TransactionKind.BUY, owner, symbol=symbol, quantity=D(10), price=D("190.25")),
    )
    async with SqlUnitOfWork(sessions) as uow:
        await uow.shares.put(
            Share(portfolio_id, friend, "friend@example.com", AccessRole.VIEWER, datetime.now(UTC))
        )
        await uow.commit()
    alert = await alert_cases.create_alert(
        deps, Caller(owner), portfolio_id, kind=AlertKind.PRICE_ABOVE, threshold=D(200), symbol=symbol
    )
    live = LiveValuation(
        deps, SqlLedgerIndex(sessions), JetStreamValuationPublisher(js, interval=INTERVAL), interval=INTERVAL
    )
    assert await live.seed()

    received: asyncio.Queue[str] = asyncio.Queue()
    handle = quote_handler(live)

    async def delivered(message: Msg) -> None:
        await handle(message)
        received.put_nowait(message.subject)

    spec = replace(
        QUOTES_CONSUMER,
        durable=f"test--revalue-on-quote-{uuid4().hex[:8]}",
        filter_subject=f"eqr.market-data.quote.updated.{symbol}",
    )
    stop = asyncio.Event()
    consuming = asyncio.create_task(consume_until_stopped(js, spec, delivered, stop=stop))
    start = clock.at
    try:
        for second, price in enumerate([201.0, 202.5, 205.0, 200.5, 201.0, 198.0, 203.25], start=1):
            at = clock.at = start + timedelta(seconds=second)
            await js.publish(
                f"eqr.market-data.quote.updated.{symbol}",
                _quote_event(symbol, price, at),
                headers={"Nats-Msg-Id": f"{symbol}@{at.isoformat()}"},
            )
            await asyncio.wait_for(received.get(), timeout=10)
            await live.tick()
    finally:
        stop.set()
        await asyncio.wait_for(consuming, timeout=10)
        await js.delete_consumer("MARKET_DATA_QUOTES", spec.durable)

    page = await alert_cases.list_triggers(deps, Caller(friend), portfolio_id)
    assert [t.observed for t in page.triggers] == [D("203.25"), D(201)]
    assert {t.alert_id for t in page.triggers} == {alert.id}
    (stored,) = await alert_cases.list_alerts(deps, Caller(owner), portfolio_id)
    assert stored.state == AlertState(armed=False)
    assert stored.last_triggered_at == page.triggers[0].triggered_at

    while await OutboxRelay(engine, outbox, js).relay_batch():
        pass
    events = [
        events_pb2.AlertTriggered.FromString(data)
        for data in await _stream_messages(nats_url, f"eqr.portfolio.alert.triggered.{portfolio_id}")
    ]
    assert [e.trigger.observed.value for e in events] == ["201.0", "203.25"]
    assert [e.trigger.id for e in events] == [str(t.id) for t in reversed(page.triggers)]
    assert all(sorted(e.recipient_ids) == sorted([str(owner), str(friend)]) for e in events)

    last = await js.get_last_msg(VALUES_STREAM.name, value_subject(portfolio_id))
    valued = events_pb2.PortfolioValued.FromString(last.data or b"")
    # 10,000 - 10 x 190.25 = 8,097.50 cash, and 10 shares at the last quote.
    assert D(valued.valuation.market_value.value) == D("8097.50") + 10 * D("203.25")
    info = await js.stream_info(VALUES_STREAM.name, subjects_filter=value_subject(portfolio_id))
    assert info.state.subjects == {value_subject(portfolio_id): 1}


async def test_the_repository_keeps_thresholds_states_and_history_exactly(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    owner, symbol = uuid4(), _symbol()
    deps = Dependencies(
        unit_of_work=lambda: SqlUnitOfWork(sessions),
        clock=SystemClock(),
        market_data=KnownSymbols(symbol),
        directory=None,  # type: ignore[arg-type]
        options=None,  # type: ignore[arg-type]
        limits=Limits(),
    )
    kept, gone = await _portfolio(sessions, owner), await _portfolio(sessions, owner)
    exact = await alert_cases.create_alert(
        deps, Caller(owner), kept, kind=AlertKind.DAILY_MOVE, threshold=D("2.5000000001"), symbol=symbol
    )
    deleted = await alert_cases.create_alert(
        deps, Caller(owner), kept, kind=AlertKind.PRICE_BELOW, threshold=D(1), symbol=symbol
    )
    await alert_cases.delete_alert(deps, Caller(owner), kept, deleted.id)
    await alert_cases.create_alert(
        deps, Caller(owner), gone, kind=AlertKind.PRICE_ABOVE, threshold=D(1), symbol=symbol
    )
    value = await alert_cases.create_alert(
        deps, Caller(owner), kept, kind=AlertKind.PORTFOLIO_VALUE_BELOW, threshold=D("0.0000000001")
    )
    async with SqlUnitOfWork(sessions) as uow:
        await uow.portfolios.delete(gone, datetime.now(UTC))
        await uow.commit()

    fired = AlertState(armed=False, fired_against_close=D("187.2300000001"))
    base = datetime(2025, 3, 3, 15, tzinfo=UTC)
    async with SqlUnitOfWork(sessions) as uow:
        (active,) = await uow.alerts.active_for_symbols([symbol])
        assert active == exact
        assert str(active.definition.threshold) == "2.5000000001"
        assert await uow.alerts.active_for_portfolios([kept, gone]) == [value]
        locked = await uow.alerts.lock(exact.id)
        assert locked == exact
        await uow.alerts.update_state(exact.id, fired, base)
        for minute in range(5):
            await uow.alerts.add_trigger(
                RecordedTrigger(
                    uuid4(), exact.id, kept, AlertKind.DAILY_MOVE, symbol, D("2.5000000001"),
                    D("2.61780104712041884816753927"), "moved", base + timedelta(minutes=minute // 2),
                )
            )  # fmt: skip
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.alerts.lock(deleted.id) is None
        reread = await uow.alerts.lock(exact.id)
        assert reread is not None
        assert (reread.state, reread.last_triggered_at) == (fired, base)

    pages, token = [], ""
    while True:
        page = await alert_cases.list_triggers(deps, Caller(owner), kept, page_size=2, page_token=token)
        pages.append(page.triggers)
        if not (token := page.next_page_token):
            break
    flat = [t for p in pages for t in p]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert flat == sorted(flat, key=lambda t: (t.triggered_at, t.id), reverse=True)
    assert len({t.id for t in flat}) == 5
    assert flat[0].observed == D("2.61780104712041884816753927")


async def test_values_of_the_same_interval_are_published_once(js: JetStreamContext) -> None:
    """Replicas valuing a portfolio in the same interval: JetStream keeps the first, drops the rest."""
    now = datetime(2025, 3, 3, 15, 0, 0, 100_000, tzinfo=UTC)
    portfolio = Portfolio(uuid4(), uuid4(), "Dedupe", "", "USD", None, LedgerPolicy(), now, now)
    book = replay([], portfolio.policy)
    valuation = value_book(book, {}, {}, today=now.date())
    publisher = JetStreamValuationPublisher(js, interval=INTERVAL)

    async def publish_and_read_sequence(at: datetime) -> int:
        await publisher.publish_valuation(portfolio, book, valuation, {}, at)
        message = await js.get_last_msg(VALUES_STREAM.name, value_subject(portfolio.id))
        assert message.seq is not None
        return message.seq

    first = await publish_and_read_sequence(now)
    assert await publish_and_read_sequence(now + timedelta(milliseconds=800)) == first
    assert await publish_and_read_sequence(now + timedelta(milliseconds=900)) > first
