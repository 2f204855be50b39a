"""The real market-data service started with MARKET_DATA_CALENDAR_MODE=nyse: it reports the
market closed and its prices stay still outside NYSE sessions, and ticks inside them.

Which of the two a run sees depends on when it runs; the unit tests pin both with a clock
(tests/unit/test_ticker_market_hours.py). Here the setting is read from the environment as a
deployment sets it and goes through the composition root.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr.market_data.v1 import market_data_service_pb2_grpc
from eqr_launcher.ports import free_port
from eqr_market_data import bootstrap
from eqr_market_data.adapters.calendar import NyseCalendar
from eqr_market_data.settings import MarketDataSettings
from eqr_testing.services import service_in_process

Stub = market_data_service_pb2_grpc.MarketDataServiceStub
TICK_SECONDS = 0.5
QUOTE_CACHE_SECONDS = 2.0


@pytest.fixture(scope="module")
async def nyse_stub(database_url: str, nats_url: str, redis_url: str) -> AsyncIterator[Stub]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MARKET_DATA_CALENDAR_MODE", "nyse")
        env.setenv("MARKET_DATA_TICK_INTERVAL_SECONDS", str(TICK_SECONDS))
        settings = MarketDataSettings(
            DATABASE_URL=database_url,
            NATS_URL=nats_url,
            REDIS_URL=redis_url,
            GRPC_PORT=free_port(),
            HTTP_PORT=0,
        )
    assert settings.calendar_mode == "nyse"
    async with service_in_process(
        lambda stop: bootstrap.run(settings, stop=stop), settings.grpc_port
    ) as channel:
        yield Stub(channel)


async def test_in_nyse_mode_the_market_moves_only_in_a_session(nyse_stub: Stub) -> None:
    open_before = NyseCalendar().is_open(datetime.now(UTC))
    overview = await nyse_stub.GetMarketOverview(pb.GetMarketOverviewRequest())
    first = (await nyse_stub.GetQuote(pb.GetQuoteRequest(symbol="AAPL"))).quote
    await asyncio.sleep(QUOTE_CACHE_SECONDS + 4 * TICK_SECONDS)
    later = (await nyse_stub.GetQuote(pb.GetQuoteRequest(symbol="AAPL"))).quote
    open_after = NyseCalendar().is_open(datetime.now(UTC))
    assert first.price > 0
    assert first.source == "simulated"
    if open_before and open_after:
        assert overview.market_status == "open"
        assert later.timestamp.ToDatetime() > first.timestamp.ToDatetime()
    elif not open_before and not open_after:
        assert overview.market_status == "closed"
        # Not a single tick: the quote is the one the service opened with.
        assert (later.price, later.timestamp, later.volume) == (first.price, first.timestamp, first.volume)
        assert later.price == later.previous_close
    # (A run across an open or a close sees either; the unit tests cover the boundary.)
