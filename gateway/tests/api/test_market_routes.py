"""/api/v1/market: the happy paths and JSON shapes; every market-data route needs a signed-in user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest

from eqr_gateway.schemas.market import MarketMoverList, MarketOverview, MarketSentiment, Movers

Problem = Callable[[httpx.Response, int], dict[str, Any]]

BREADTH = {"advancers": 312, "decliners": 171, "unchanged": 17, "new_highs": 9, "new_lows": 3}
MARKET_DATA_READS = [
    "/api/v1/market/overview",
    "/api/v1/market/indices",
    "/api/v1/market/sectors",
    "/api/v1/market/movers",
    "/api/v1/market/sentiment",
    "/api/v1/stocks/search?q=a",
    "/api/v1/stocks/quotes?symbols=AAPL",
    "/api/v1/stocks/AAPL",
    "/api/v1/stocks/AAPL/quote",
    "/api/v1/stocks/AAPL/history",
    "/api/v1/stocks/AAPL/news",
    "/api/v1/stocks/AAPL/fundamentals",
    "/api/v1/stocks/AAPL/peers",
]


@pytest.fixture
def viewer(sign_in: Callable[..., Any]) -> Any:
    return sign_in()


@pytest.mark.parametrize("path", MARKET_DATA_READS)
async def test_reads_need_a_signed_in_user(client: httpx.AsyncClient, problem: Problem, path: str) -> None:
    response = await client.get(path)
    problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", MARKET_DATA_READS)
async def test_any_role_may_read(client: httpx.AsyncClient, sign_in: Callable[..., Any], path: str) -> None:
    for role in ("viewer", "analyst", "admin"):
        response = await client.get(path, headers=sign_in(role).headers)
        assert response.status_code == 200, (role, response.text)


async def test_overview(client: httpx.AsyncClient, viewer: Any) -> None:
    response = await client.get("/api/v1/market/overview", headers=viewer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    MarketOverview.model_validate(body)
    assert set(body) == {
        "indices",
        "sectors",
        "gainers",
        "losers",
        "most_active",
        "breadth",
        "as_of",
        "market_status",
    }
    assert body["indices"][0]["instrument"]["symbol"] == "^GSPC"
    assert body["indices"][0]["quote"]["source"] == "simulated"
    assert body["sectors"][0]["instrument"]["asset_class"] == "etf"
    assert [m["instrument"]["symbol"] for m in body["gainers"]] == ["AAPL"]
    assert body["breadth"] == BREADTH
    assert body["as_of"] == "2025-03-14T15:42:07Z"
    assert body["market_status"] == "open"


async def test_indices_and_sectors(client: httpx.AsyncClient, viewer: Any) -> None:
    indices = (await client.get("/api/v1/market/indices", headers=viewer.headers)).json()
    sectors = (await client.get("/api/v1/market/sectors", headers=viewer.headers)).json()
    MarketMoverList.model_validate(indices)
    MarketMoverList.model_validate(sectors)
    assert [m["instrument"]["symbol"] for m in indices["items"]] == ["^GSPC"]
    assert [m["instrument"]["symbol"] for m in sectors["items"]] == ["XLK"]
    assert set(indices["items"][0]) == {"instrument", "quote"}


async def test_movers_honour_the_limit(client: httpx.AsyncClient, viewer: Any, fake_market: Any) -> None:
    response = await client.get("/api/v1/market/movers?limit=2", headers=viewer.headers)
    body = response.json()
    Movers.model_validate(body)
    assert [m["instrument"]["symbol"] for m in body["gainers"]] == ["AAPL", "MSFT"]
    assert [m["instrument"]["symbol"] for m in body["losers"]] == ["MSFT", "AAPL"]
    assert len(body["most_active"]) == 2
    assert fake_market.last("ListMovers").request.limit == 2


async def test_movers_default_limit(client: httpx.AsyncClient, viewer: Any, fake_market: Any) -> None:
    await client.get("/api/v1/market/movers", headers=viewer.headers)
    assert fake_market.last("ListMovers").request.limit == 10


async def test_sentiment(client: httpx.AsyncClient, viewer: Any) -> None:
    body = (await client.get("/api/v1/market/sentiment", headers=viewer.headers)).json()
    MarketSentiment.model_validate(body)
    assert body == {
        "news_sentiment": 0.12,
        "news_count": 184,
        "breadth": BREADTH,
        "as_of": "2025-03-14T15:42:07Z",
    }


async def test_an_unavailable_service_is_503(
    make_gateway: Callable[..., Any], viewer: Any, problem: Problem
) -> None:
    async with make_gateway(market_data_addr="127.0.0.1:1") as (_, client):
        for path in ("/api/v1/market/overview", "/api/v1/stocks/AAPL/quote"):
            body = problem(await client.get(path, headers=viewer.headers), 503)
            assert body["detail"] == "The market-data service is unavailable; try again shortly."


async def test_a_slow_service_is_503(
    make_gateway: Callable[..., Any], viewer: Any, fake_market: Any, problem: Problem
) -> None:
    gate = fake_market.hold("ListIndices")
    try:
        async with make_gateway(upstream_timeout_seconds=0.2) as (_, client):
            problem(await client.get("/api/v1/market/indices", headers=viewer.headers), 503)
    finally:
        gate.release.set()


async def test_an_upstream_internal_error_is_a_bare_500(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, problem: Problem
) -> None:
    fake_market.fail_next("GetMarketSentiment", grpc.StatusCode.INTERNAL, "psycopg: password=hunter2")
    response = await client.get("/api/v1/market/sentiment", headers=viewer.headers)
    problem(response, 500)
    assert "hunter2" not in response.text


async def test_openapi_documents_every_market_route(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    for path in MARKET_DATA_READS:
        template = path.split("?")[0].replace("/AAPL", "/{symbol}")
        operation = schema["paths"][template]["get"]
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["$ref"].startswith("#/components/schemas/"), template
        assert "401" in operation["responses"]
        assert {"bearer": []} in operation["security"]
    components = schema["components"]["schemas"]
    for model in ("Quote", "History", "Instrument", "MarketOverview", "ImportReport", "QualityReport"):
        assert components[model].get("examples"), model
    history = schema["paths"]["/api/v1/stocks/{symbol}/history"]["get"]
    parameters = {parameter["name"]: parameter for parameter in history["parameters"]}
    assert set(parameters) == {"symbol", "interval", "from", "to", "range", "adjusted"}
    assert parameters["symbol"]["schema"]["pattern"] == "^[A-Za-z0-9^][A-Za-z0-9.^=\\-]{0,14}$"
    assert parameters["interval"]["schema"]["default"] == "1d"
    imports = schema["paths"]["/api/v1/admin/market-data/import"]["post"]
    assert "multipart/form-data" in imports["requestBody"]["content"]
    assert "/api/v1/stocks/{rest}" not in schema["paths"]
