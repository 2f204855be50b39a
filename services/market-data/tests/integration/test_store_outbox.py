"""save_daily_bars writes bars, issues and the BarsImported event in one transaction, or none of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from eqr.market_data.v1 import events_pb2
from eqr_market_data.adapters.db.store import SqlMarketStore
from eqr_market_data.adapters.db.tables import outbox
from eqr_market_data.domain.events import BarsImported
from eqr_market_data.domain.model import Bar, Interval, Source
from eqr_market_data.domain.quality import QualityIssue, Severity

AT = datetime(2025, 3, 14, 21, 5, tzinfo=UTC)
FIRST = date(2025, 3, 3)
BARS = [
    Bar(
        "AAPL",
        Interval.D1,
        datetime(2025, 3, 3, tzinfo=UTC) + timedelta(days=i),
        1,
        2,
        0.5,
        1.5,
        10,
        "import",
    )
    for i in range(5)
]
EVENT = BarsImported(symbol="AAPL", bars=len(BARS), source=Source.IMPORT, occurred_at=AT)
FLAG = QualityIssue("AAPL", "outlier_jump", Severity.FLAGGED, "close moved 45%", "close", 4, AT)


async def _events(engine: AsyncEngine) -> list[tuple[str, events_pb2.BarsImported]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.subject, outbox.c.payload).order_by(outbox.c.id))).all()
    return [(row.subject, events_pb2.BarsImported.FromString(row.payload)) for row in rows]


async def test_the_event_is_written_to_the_outbox_with_the_bars(
    store: SqlMarketStore, market_engine: AsyncEngine
) -> None:
    written = await store.save_daily_bars(BARS, issues=[FLAG], event=EVENT)

    assert written == len(BARS)
    ((subject, message),) = await _events(market_engine)
    assert subject == "eqr.market-data.bars.imported"
    assert (message.symbol, message.bars, message.source) == ("AAPL", 5, "import")
    assert message.occurred_at.ToDatetime(tzinfo=UTC) == AT
    assert await store.recent_quality_issues() == [FLAG]


async def test_without_an_event_nothing_goes_to_the_outbox(
    store: SqlMarketStore, market_engine: AsyncEngine
) -> None:
    await store.save_daily_bars(BARS)

    assert await _events(market_engine) == []


async def test_a_failure_rolls_back_bars_issues_and_event_together(
    store: SqlMarketStore, market_engine: AsyncEngine
) -> None:
    unstorable = QualityIssue("AAPL", "gap", Severity.FLAGGED, "line out of range", line=2**31)

    with pytest.raises(DBAPIError):
        await store.save_daily_bars(BARS, issues=[FLAG, unstorable], event=EVENT)

    assert await store.daily_bars("AAPL", FIRST, FIRST + timedelta(days=10)) == []
    assert await store.recent_quality_issues() == []
    assert await _events(market_engine) == []
