"""Every /api/v1/stocks route: the happy path, the JSON shape, what reaches the service."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from eqr.market_data.v1 import resources_pb2 as md
from eqr_gateway.schemas.market import (
    FinancialsList,
    History,
    InstrumentList,
    NewsList,
    Quote,
    QuoteBatch,
    StockDetail,
)

QUOTE_FIELDS = set(Quote.model_fields)
INSTRUMENT_FIELDS = {
    "symbol",
    "name",
    "exchange",
    "currency",
    "asset_class",
    "sector",
    "industry",
    "country",
    "shares_outstanding",
    "market_cap",
    "source",
}


@pytest.fixture
def viewer(sign_in: Callable[..., Any]) -> Any:
    return sign_in()


async def test_search_ranks_and_bounds(client: httpx.AsyncClient, viewer: Any, fake_market: Any) -> None:
    response = await client.get("/api/v1/stocks/search?q=micro&limit=3", headers=viewer.headers)
    assert response.status_code == 200, response.text
    body = InstrumentList.model_validate(response.json())
    assert [item.symbol for item in body.items] == ["MSFT"]
    assert set(response.json()["items"][0]) == INSTRUMENT_FIELDS
    call = fake_market.last("SearchInstruments")
    assert (call.request.query, call.request.limit) == ("micro", 3)
    assert call.metadata["authorization"] == f"Bearer {viewer.token}"


async def test_search_defaults_to_ten(client: httpx.AsyncClient, viewer: Any, fake_market: Any) -> None:
    assert (await client.get("/api/v1/stocks/search?q=a", headers=viewer.headers)).status_code == 200
    assert fake_market.last("SearchInstruments").request.limit == 10


async def test_stock_detail_has_facts_and_quote(client: httpx.AsyncClient, viewer: Any) -> None:
    response = await client.get("/api/v1/stocks/aapl", headers=viewer.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    StockDetail.model_validate(body)
    assert set(body) == {"instrument", "quote"}
    assert body["instrument"] == {
        "symbol": "AAPL",
        "name": "Apple Inc.",
        "exchange": "NASDAQ",
        "currency": "USD",
        "asset_class": "equity",
        "sector": "Information Technology",
        "industry": "Technology Hardware, Storage & Peripherals",
        "country": "US",
        "shares_outstanding": 15_204_137_000,
        "market_cap": pytest.approx(15_204_137_000 * 229.87),
        "source": "simulated",
    }
    assert body["quote"]["symbol"] == "AAPL"
    assert body["quote"]["source"] == "simulated"


async def test_an_index_has_no_sector_and_no_order_book(client: httpx.AsyncClient, viewer: Any) -> None:
    body = (await client.get("/api/v1/stocks/%5EGSPC", headers=viewer.headers)).json()
    assert body["instrument"]["asset_class"] == "index"
    assert body["instrument"]["sector"] is None
    assert body["instrument"]["shares_outstanding"] is None
    assert (body["quote"]["bid"], body["quote"]["ask"]) == (None, None)


async def test_quote_shape(client: httpx.AsyncClient, viewer: Any) -> None:
    response = await client.get("/api/v1/stocks/BRK.B/quote", headers=viewer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == QUOTE_FIELDS
    assert body["symbol"] == "BRK.B"
    assert body["timestamp"] == "2025-03-14T15:42:07Z"
    assert body["source"] == "simulated"
    assert body["stale"] is False
    assert Quote.model_validate(body).price == 478.1


async def test_batch_quotes_in_order_with_unknowns(client: httpx.AsyncClient, viewer: Any) -> None:
    response = await client.get(
        "/api/v1/stocks/quotes?symbols=msft,NOPE1&symbols=AAPL&symbols=msft", headers=viewer.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    QuoteBatch.model_validate(body)
    assert [quote["symbol"] for quote in body["quotes"]] == ["MSFT", "AAPL"]
    assert body["unknown_symbols"] == ["NOPE1"]
    assert all(set(quote) == QUOTE_FIELDS for quote in body["quotes"])


async def test_batch_of_only_unknown_symbols(client: httpx.AsyncClient, viewer: Any) -> None:
    body = (await client.get("/api/v1/stocks/quotes?symbols=NOPE2,NOPE3", headers=viewer.headers)).json()
    assert body == {"quotes": [], "unknown_symbols": ["NOPE2", "NOPE3"]}


async def test_batch_of_200_symbols(client: httpx.AsyncClient, viewer: Any, fake_market: Any) -> None:
    symbols = [
        fake_market.add_instrument(f"B{index:03d}{uuid.uuid4().hex[:4].upper()}") for index in range(200)
    ]
    response = await client.get(
        "/api/v1/stocks/quotes", params={"symbols": ",".join(symbols)}, headers=viewer.headers
    )
    assert response.status_code == 200, response.text
    assert [quote["symbol"] for quote in response.json()["quotes"]] == symbols


async def test_history_defaults_to_the_service_window_of_daily_raw_bars(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any
) -> None:
    response = await client.get("/api/v1/stocks/AAPL/history", headers=viewer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    History.model_validate(body)
    assert set(body) == {"symbol", "interval", "adjusted", "source", "bars"}
    assert (body["symbol"], body["interval"], body["adjusted"], body["source"]) == (
        "AAPL",
        "1d",
        False,
        "simulated",
    )
    assert 365 <= len(body["bars"]) <= 366  # the fake's default, as the service's: a year
    bar = body["bars"][0]
    assert set(bar) == {"t", "o", "h", "l", "c", "v"}
    assert bar["t"].endswith("T00:00:00Z")
    request = fake_market.last("GetHistory").request
    assert request.interval == md.INTERVAL_1D
    assert request.adjusted is False
    assert not request.HasField("start")
    assert not request.HasField("end")


async def test_history_between_dates_adjusted(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any
) -> None:
    response = await client.get(
        "/api/v1/stocks/MSFT/history?from=2024-01-02&to=2024-01-05&interval=1d&adjusted=true",
        headers=viewer.headers,
    )
    body = response.json()
    assert [bar["t"] for bar in body["bars"]] == [
        "2024-01-02T00:00:00Z",
        "2024-01-03T00:00:00Z",
        "2024-01-04T00:00:00Z",
        "2024-01-05T00:00:00Z",
    ]
    assert body["adjusted"] is True
    request = fake_market.last("GetHistory").request
    assert request.start.ToDatetime(tzinfo=UTC) == datetime(2024, 1, 2, tzinfo=UTC)
    assert request.end.ToDatetime(tzinfo=UTC) == datetime(2024, 1, 5, 23, 59, 59, 999999, tzinfo=UTC)
    assert request.adjusted is True


async def test_history_date_times_with_offsets_are_utc(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any
) -> None:
    response = await client.get(
        "/api/v1/stocks/MSFT/history",
        params={"interval": "1h", "from": "2024-01-02T10:00:00+02:00", "to": "2024-01-02T12:00:00"},
        headers=viewer.headers,
    )
    assert [bar["t"] for bar in response.json()["bars"]] == [
        "2024-01-02T08:00:00Z",
        "2024-01-02T09:00:00Z",
        "2024-01-02T10:00:00Z",
        "2024-01-02T11:00:00Z",
        "2024-01-02T12:00:00Z",
    ]
    assert fake_market.last("GetHistory").request.interval == md.INTERVAL_1H


@pytest.mark.parametrize(("span", "days"), [("5d", 5), ("1y", 365), ("10y", 3652)])
async def test_history_range_back_from_now(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, span: str, days: int
) -> None:
    before = datetime.now(UTC)
    response = await client.get(f"/api/v1/stocks/AAPL/history?range={span}", headers=viewer.headers)
    assert response.status_code == 200, response.text
    request = fake_market.last("GetHistory").request
    assert not request.HasField("end")
    back = before - request.start.ToDatetime(tzinfo=UTC)
    assert timedelta(days=days - 1) <= back <= timedelta(days=days + 2)


async def test_ten_years_of_daily_bars(client: httpx.AsyncClient, viewer: Any) -> None:
    response = await client.get("/api/v1/stocks/AAPL/history?range=10y", headers=viewer.headers)
    assert response.status_code == 200
    assert len(response.json()["bars"]) >= 3652


async def test_an_intraday_range_is_clamped_to_the_service_reach(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any
) -> None:
    before = datetime.now(UTC)
    response = await client.get("/api/v1/stocks/AAPL/history?interval=1m&range=max", headers=viewer.headers)
    assert response.status_code == 200, response.text
    request = fake_market.last("GetHistory").request
    assert request.interval == md.INTERVAL_1M
    assert before - timedelta(days=7) < request.start.ToDatetime(tzinfo=UTC) < before - timedelta(days=6)


async def test_news(client: httpx.AsyncClient, viewer: Any, fake_market: Any) -> None:
    response = await client.get("/api/v1/stocks/NVDA/news?limit=3", headers=viewer.headers)
    body = response.json()
    NewsList.model_validate(body)
    assert [item["id"] for item in body["items"]] == ["n-NVDA-0", "n-NVDA-1", "n-NVDA-2"]
    assert body["items"][0] == {
        "id": "n-NVDA-0",
        "symbols": ["NVDA"],
        "headline": "NVDA headline 0",
        "summary": "What happened.",
        "publisher": "Market Wire",
        "url": "https://news.example.com/0",
        "published_at": "2025-03-14T15:42:07Z",
        "sentiment": 0.4,
        "source": "simulated",
    }
    assert body["items"][1]["url"] is None
    assert fake_market.last("ListNews").request.limit == 3


async def test_fundamentals(client: httpx.AsyncClient, viewer: Any, fake_market: Any) -> None:
    response = await client.get(
        "/api/v1/stocks/AAPL/fundamentals?period=quarterly&limit=2", headers=viewer.headers
    )
    body = response.json()
    FinancialsList.model_validate(body)
    assert (body["symbol"], body["period"], len(body["items"])) == ("AAPL", "quarterly", 2)
    first = body["items"][0]
    assert first["fiscal_date"] == "2024-09-28"
    assert first["revenue"] == 391e9
    assert first["interest_expense"] is None  # NaN at the source: absent
    assert first["free_cash_flow"] == 0.0
    assert first["source"] == "simulated"
    request = fake_market.last("GetFundamentals").request
    assert (request.period, request.limit) == ("quarterly", 2)


async def test_fundamentals_default_to_annual(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any
) -> None:
    body = (await client.get("/api/v1/stocks/AAPL/fundamentals", headers=viewer.headers)).json()
    assert body["period"] == "annual"
    assert len(body["items"]) == 5


async def test_peers(client: httpx.AsyncClient, viewer: Any, fake_market: Any) -> None:
    response = await client.get("/api/v1/stocks/AAPL/peers?limit=5", headers=viewer.headers)
    body = response.json()
    InstrumentList.model_validate(body)
    symbols = [item["symbol"] for item in body["items"]]
    assert "AAPL" not in symbols
    assert {"MSFT", "NVDA"} <= set(symbols)
    assert all(item["source"] == "simulated" for item in body["items"])
    assert fake_market.last("ListPeers").request.limit == 5


async def test_an_api_key_reads_market_data(client: httpx.AsyncClient, viewer: Any) -> None:
    created = await client.post("/api/v1/auth/api-keys", json={"name": "prices"}, headers=viewer.headers)
    response = await client.get("/api/v1/stocks/AAPL/quote", headers={"X-API-Key": created.json()["secret"]})
    assert response.status_code == 200, response.text
