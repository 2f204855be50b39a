"""News: idempotent by id, newest first, by symbol (through the GIN index) or market-wide."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from eqr_market_data.adapters.db.store import SqlMarketStore
from eqr_market_data.domain.model import NewsItem, Source

START = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def _item(number: int, *symbols: str, sentiment: float = 0.0) -> NewsItem:
    return NewsItem(
        id=f"sim-{number}",
        headline=f"Headline {number}",
        published_at=START + timedelta(minutes=number),
        source=Source.SIMULATED,
        symbols=symbols,
        summary=f"Summary {number}",
        publisher="Simulated Wire",
        url=f"https://news.example/{number}",
        sentiment=sentiment,
    )


ITEMS = [
    _item(1, "AAPL", sentiment=0.6),
    _item(2),
    _item(3, "MSFT", "AAPL", sentiment=-0.4),
    _item(4, "MSFT"),
    _item(5, "BRK.B", "AAPL"),
]


async def test_news_of_a_symbol_newest_first(store: SqlMarketStore) -> None:
    await store.save_news(ITEMS)

    assert await store.news("AAPL", limit=10) == [ITEMS[4], ITEMS[2], ITEMS[0]]
    assert await store.news("AAPL", limit=2) == [ITEMS[4], ITEMS[2]]
    assert await store.news("NOPE", limit=10) == []


async def test_market_wide_news_includes_every_item_newest_first(store: SqlMarketStore) -> None:
    await store.save_news(ITEMS)

    assert await store.news(None, limit=10) == list(reversed(ITEMS))
    assert await store.news(None, limit=1) == [ITEMS[4]]


async def test_news_since_a_moment_includes_that_moment(store: SqlMarketStore) -> None:
    await store.save_news(ITEMS)

    assert await store.news(None, limit=10, since=ITEMS[3].published_at) == [ITEMS[4], ITEMS[3]]
    assert await store.news("MSFT", limit=10, since=ITEMS[3].published_at) == [ITEMS[3]]


async def test_saving_news_twice_keeps_one_copy_with_the_latest_content(store: SqlMarketStore) -> None:
    await store.save_news(ITEMS)
    rescored = replace(ITEMS[0], sentiment=0.9)

    await store.save_news([rescored, rescored])
    await store.save_news([])

    stored = await store.news(None, limit=10)
    assert len(stored) == len(ITEMS)
    assert stored[-1] == rescored
