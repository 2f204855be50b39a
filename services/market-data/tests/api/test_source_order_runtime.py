"""The composition root with MARKET_DATA_SOURCES=alphavantage,simulator on real PostgreSQL,
Redis and NATS, Alpha Vantage answering from recorded responses over a fake transport: the
simulator is a fallback with nothing of its own running, the first source serves, and a bad
provider quote is a stored finding, counted in the metric, and not served (ADR 16)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from eqr_market_data import bootstrap
from eqr_market_data.adapters.calendar import NyseCalendar
from eqr_market_data.adapters.db.tables import SCHEMA, metadata
from eqr_market_data.domain.quality import Severity
from eqr_market_data.domain.resample import NEW_YORK
from eqr_market_data.settings import MarketDataSettings
from eqr_platform.cache import connect_redis
from eqr_platform.db import create_engine

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alphavantage"
API_KEY = "K3YF1XTURE7Q2W9Z"


def _current_trading_day(now: datetime) -> str:
    """The day of the last NYSE session that has opened: Alpha Vantage's "latest trading day"."""
    calendar = NyseCalendar()
    today = now.astimezone(NEW_YORK).date()
    for day in reversed(calendar.sessions(today - timedelta(days=14), today)):
        if calendar.session_bounds(day)[0] <= now:
            return day.isoformat()
    raise AssertionError("no session in two weeks")


class AlphaVantage:
    def __init__(self) -> None:
        fresh = json.loads((FIXTURES / "global_quote_ibm.json").read_bytes())
        fresh["Global Quote"]["07. latest trading day"] = _current_trading_day(datetime.now(UTC))
        self.answers: dict[str, bytes] = {
            "GLOBAL_QUOTE:IBM": json.dumps(fresh).encode(),
            # Any other quote: IBM's of 2024-02-09, long stale.
            "GLOBAL_QUOTE:*": (FIXTURES / "global_quote_ibm.json").read_bytes(),
            "OVERVIEW:IBM": (FIXTURES / "overview_ibm.json").read_bytes(),
        }
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        function, symbol = request.url.params["function"], request.url.params.get("symbol", "")
        self.asked.append(f"{function}:{symbol}")
        body = self.answers.get(f"{function}:{symbol}", self.answers.get(f"{function}:*"))
        assert body is not None, f"unexpected request {function}:{symbol}"
        if function == "GLOBAL_QUOTE" and symbol != "IBM":
            body = body.replace(b'"IBM"', json.dumps(symbol).encode())
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})


@pytest.fixture(scope="module")
def settings(database_url: str, nats_url: str, redis_url: str) -> MarketDataSettings:
    return MarketDataSettings.model_validate(
        {
            "DATABASE_URL": database_url,
            "NATS_URL": nats_url,
            "REDIS_URL": redis_url,
            "sources": "alphavantage,simulator",
            "alphavantage_api_key": API_KEY,
            "alphavantage_base_url": "https://alphavantage.test",
            "simulator_history_years": 1,
        }
    )


async def _start_empty(settings: MarketDataSettings) -> None:
    """An empty schema and no cached market data (another module's service may have filled both)."""
    await asyncio.to_thread(bootstrap.migrate, settings)
    engine = create_engine(settings.database_url)
    names = ", ".join(f'"{SCHEMA}"."{table.name}"' for table in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
    await engine.dispose()
    redis = connect_redis(settings.redis_url)
    keys = [key async for key in redis.scan_iter(match="eqr:market-data:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


@pytest.fixture(scope="module")
async def running(settings: MarketDataSettings) -> AsyncIterator[tuple[bootstrap.Runtime, AlphaVantage]]:
    await _start_empty(settings)
    provider = AlphaVantage()
    http = httpx.AsyncClient(transport=httpx.MockTransport(provider))
    async with bootstrap.runtime(settings, http=http) as runtime:
        yield runtime, provider
    await http.aclose()


def _findings(check: str) -> float:
    value = REGISTRY.get_sample_value(
        "market_data_quality_issues_total", {"check": check, "severity": "flagged"}
    )
    return value or 0.0


async def test_the_simulator_second_runs_no_live_market(running: Any, settings: MarketDataSettings) -> None:
    runtime, _ = running
    assert [task.__qualname__ for task in runtime.background] == ["OutboxRelay.run", "OnDemandSimulator.run"]
    engine = create_engine(settings.database_url)
    async with engine.connect() as conn:
        stored = (await conn.execute(text(f'SELECT count(*) FROM "{SCHEMA}".daily_bars'))).scalar_one()
    await engine.dispose()
    assert stored == 0  # nothing back-filled


async def test_alphavantage_serves_first(running: Any) -> None:
    runtime, provider = running
    quote = await runtime.app.quote("IBM")
    assert (quote.source, quote.price, quote.stale) == ("alphavantage", 186.34, False)
    instrument, _ = await runtime.app.instrument("IBM")
    assert (instrument.source, instrument.sector) == ("alphavantage", "TECHNOLOGY")
    assert "OVERVIEW:IBM" in provider.asked


async def test_a_stale_provider_quote_is_a_finding_and_the_simulator_serves(running: Any) -> None:
    runtime, _ = running
    before = _findings("stale_quote")
    quote = await runtime.app.quote("MSFT")
    assert (quote.source, quote.stale) == ("simulated", False)
    assert _findings("stale_quote") == before + 1
    counts, recent = await runtime.app.quality_report("MSFT")
    assert counts == [("stale_quote", Severity.FLAGGED, 1)]
    assert [(i.symbol, i.check, i.field) for i in recent] == [("MSFT", "stale_quote", "timestamp")]
