"""News and fundamentals: stored, asked from the sources again once their refresh period has
passed, and a reply from one source, the best-ranked one that has some (ADR 16)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from eqr_market_data.app.documents import Documents
from eqr_market_data.app.refreshed import Refreshed
from eqr_market_data.domain.errors import SourceUnavailable
from eqr_market_data.domain.model import Financials, NewsItem, Period
from eqr_platform.cache import SingleFlight

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
RANKS = {"alphavantage": 0, "simulated": 1}


class Clock:
    def __init__(self) -> None:
        self.moment = NOW

    def now(self) -> datetime:
        return self.moment


@dataclass
class Marks:
    clock: Clock
    until: dict[str, datetime] = field(default_factory=dict)

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        if key in self.until and self.clock.now() < self.until[key]:
            return False
        self.until[key] = self.clock.now() + timedelta(seconds=ttl_seconds)
        return True

    async def hold(self, key: str, ttl_seconds: float) -> None:
        self.until[key] = self.clock.now() + timedelta(seconds=ttl_seconds)


@dataclass
class Store:
    news_items: list[NewsItem] = field(default_factory=list)
    statements: list[Financials] = field(default_factory=list)

    async def save_news(self, items: Sequence[NewsItem]) -> None:
        known = {n.id for n in self.news_items}
        self.news_items += [n for n in items if n.id not in known]

    async def news(self, symbol: str | None, limit: int, since: datetime | None = None) -> list[NewsItem]:
        items = [n for n in self.news_items if symbol is None or symbol in n.symbols]
        return sorted(items, key=lambda n: n.published_at, reverse=True)[:limit]

    async def save_financials(self, items: Sequence[Financials]) -> None:
        self.statements += items

    async def financials(self, symbol: str, period: Period, limit: int) -> list[Financials]:
        mine = [f for f in self.statements if f.symbol == symbol and f.period == period]
        return sorted(mine, key=lambda f: f.fiscal_date, reverse=True)[:limit]


@dataclass
class Sources:
    news_items: list[NewsItem] = field(default_factory=list)
    statements: list[Financials] = field(default_factory=list)
    failure: Exception | None = None
    asked: list[str] = field(default_factory=list)

    def rank(self, source: str) -> int:
        return RANKS.get(source, 9)

    async def news(self, symbol: str | None, limit: int) -> list[NewsItem]:
        self.asked.append(f"news {symbol}")
        if self.failure:
            raise self.failure
        return self.news_items

    async def fundamentals(self, symbol: str, period: Period) -> list[Financials]:
        self.asked.append(f"fundamentals {symbol}")
        if self.failure:
            raise self.failure
        return self.statements


def _item(n: int, source: str, hours_ago: float) -> NewsItem:
    return NewsItem(
        f"{source}:{n}", f"headline {n}", NOW - timedelta(hours=hours_ago), source, symbols=("KO",)
    )


def _documents(store: Store, sources: Sources, clock: Clock) -> Documents:
    return Documents(
        store,  # type: ignore[arg-type]
        sources,  # type: ignore[arg-type]
        Refreshed(Marks(clock), SingleFlight(), retry=timedelta(minutes=1)),
        news_every=timedelta(minutes=30),
        fundamentals_every=timedelta(hours=24),
    )


async def test_stored_news_is_refreshed_once_its_period_has_passed() -> None:
    clock, store = Clock(), Store(news_items=[_item(1, "alphavantage", 30)])
    sources = Sources(news_items=[_item(2, "alphavantage", 1)])
    documents = _documents(store, sources, clock)
    assert [n.id for n in await documents.news("KO", 10)] == ["alphavantage:2", "alphavantage:1"]
    sources.news_items = [_item(3, "alphavantage", 0)]
    await documents.news("KO", 10)
    assert sources.asked == ["news KO"]
    clock.moment += timedelta(minutes=31)
    assert [n.id for n in await documents.news("KO", 2)] == ["alphavantage:3", "alphavantage:2"]
    assert sources.asked == ["news KO", "news KO"]


async def test_concurrent_readers_share_one_refresh() -> None:
    clock, sources = Clock(), Sources(news_items=[_item(1, "alphavantage", 1)])
    documents = _documents(Store(), sources, clock)
    replies = await asyncio.gather(*(documents.news("KO", 5) for _ in range(10)))
    assert all([n.id for n in reply] == ["alphavantage:1"] for reply in replies)
    assert sources.asked == ["news KO"]


async def test_a_failed_refresh_serves_what_is_stored_and_is_retried_sooner() -> None:
    clock, store = Clock(), Store(news_items=[_item(1, "alphavantage", 5)])
    sources = Sources(failure=SourceUnavailable("news of KO", ["alphavantage: HTTP 503"]))
    documents = _documents(store, sources, clock)
    assert [n.id for n in await documents.news("KO", 5)] == ["alphavantage:1"]
    clock.moment += timedelta(seconds=61)
    sources.failure, sources.news_items = None, [_item(2, "alphavantage", 0)]
    assert [n.id for n in await documents.news("KO", 5)] == ["alphavantage:2", "alphavantage:1"]


async def test_nothing_stored_and_no_source_answering_is_the_sources_error() -> None:
    sources = Sources(failure=SourceUnavailable("news of KO", ["alphavantage: HTTP 503"]))
    with pytest.raises(SourceUnavailable):
        await _documents(Store(), sources, Clock()).news("KO", 5)


async def test_a_reply_takes_the_best_ranked_source_that_has_some() -> None:
    store = Store(
        news_items=[_item(1, "simulated", 0), _item(2, "alphavantage", 3)],
        statements=[
            Financials("KO", Period.ANNUAL, date(2025, 12, 31), "USD", "simulated", revenue=1.0),
            Financials("KO", Period.ANNUAL, date(2024, 12, 31), "USD", "alphavantage", revenue=2.0),
            Financials("KO", Period.ANNUAL, date(2023, 12, 31), "USD", "alphavantage", revenue=3.0),
        ],
    )
    documents = _documents(store, Sources(), Clock())
    assert [n.id for n in await documents.news("KO", 5)] == ["alphavantage:2"]
    assert [f.revenue for f in await documents.fundamentals("KO", Period.ANNUAL, 5)] == [2.0, 3.0]
    only_simulated = Store(news_items=[_item(1, "simulated", 0)])
    assert [n.id for n in await _documents(only_simulated, Sources(), Clock()).news("KO", 5)] == [
        "simulated:1"
    ]
