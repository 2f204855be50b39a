"""GET /api/v1/portfolios/{id}/realized-gains: the report mapped both ways, paging, access and
hostile input (a problem naming the field; the gateway's own checks make no service call)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from eqr.portfolio.v1 import resources_pb2 as pf
from eqr_gateway.schemas.portfolio_realised import RealizedGains

Problem = Callable[[httpx.Response, int], dict[str, Any]]
API = "/api/v1/portfolios"


@pytest.fixture
def owner(sign_in: Callable[..., Any]) -> Any:
    return sign_in()


@pytest.fixture
async def portfolio(client: httpx.AsyncClient, owner: Any) -> str:
    response = await client.post(API, json={"name": "Core", "cost_method": "average"}, headers=owner.headers)
    assert response.status_code == 201, response.text
    portfolio_id: str = response.json()["id"]
    return portfolio_id


def _fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body["errors"]]


async def test_the_report_lists_closed_lots_with_totals_per_symbol(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any
) -> None:
    response = await client.get(f"{API}/{portfolio}/realized-gains", headers=owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    RealizedGains.model_validate(body)
    assert (body["portfolio_id"], body["currency"], body["cost_method"], body["next_cursor"]) == (
        portfolio,
        "USD",
        "average",
        None,
    )
    first, short, option = body["items"]
    assert first == {
        "symbol": "AAPL",
        "quantity": "10",
        "opened_on": "2024-06-03",
        "closed_on": "2025-02-03",
        "cost_basis": "1853.00",
        "proceeds": "2298.70",
        "commissions": "2.00",
        "realized_pnl": "445.70",
        "holding_days": 245,
        "long_term": False,
        "multiplier": 1,
        "transaction_id": "9d4e1b7a-3c2f-4e8d-b1a0-6f5e4d3c2b1a",
    }
    # Exact decimals keep the service's text, whatever its scale.
    assert (short["quantity"], short["proceeds"], short["long_term"]) == ("-5", "900.5000000000", True)
    assert (option["multiplier"], option["realized_pnl"]) == (100, "148.70")
    assert [(s["symbol"], s["held"], s["lots"], s["realized_pnl"]) for s in body["by_symbol"]] == [
        ("AAPL", False, 2, "346.2000000000"),
        ("AAPL250321C00200000", True, 1, "148.70"),
    ]
    assert body["totals"] == {
        "lots": 3,
        "cost_basis": "3203.65",
        "proceeds": "3698.5500000000",
        "commissions": "3.30",
        "realized_pnl": "494.9000000000",
        "short_term_pnl": "594.40",
        "long_term_pnl": "-99.5000000000",
    }
    sent = fake_portfolio.last("GetRealizedGains").request
    assert not sent.HasField("start_date")
    assert not sent.HasField("end_date")
    assert (sent.symbol, sent.page.page_size, sent.page.page_token) == ("", 50, "")


async def test_filters_and_the_cursor_reach_the_service(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any
) -> None:
    url = f"{API}/{portfolio}/realized-gains?from=2025-01-01&to=2025-12-31&symbol=aapl&limit=2"
    first = await client.get(url, headers=owner.headers)
    assert first.status_code == 200, first.text
    sent = fake_portfolio.last("GetRealizedGains").request
    assert (sent.start_date.year, sent.start_date.month, sent.start_date.day) == (2025, 1, 1)
    assert (sent.end_date.year, sent.end_date.month, sent.end_date.day) == (2025, 12, 31)
    assert (sent.symbol, sent.page.page_size) == ("AAPL", 2)
    assert len(first.json()["items"]) == 2
    cursor = first.json()["next_cursor"]
    assert cursor

    second = await client.get(
        f"{API}/{portfolio}/realized-gains", params={"cursor": cursor, "limit": 2}, headers=owner.headers
    )
    assert second.status_code == 200, second.text
    assert fake_portfolio.last("GetRealizedGains").request.page.page_token == cursor
    assert [lot["symbol"] for lot in second.json()["items"]] == ["AAPL250321C00200000"]
    assert second.json()["next_cursor"] is None
    # The totals are the whole report's on every page.
    assert second.json()["totals"] == first.json()["totals"]


async def test_a_viewer_may_read_it_and_anyone_else_finds_nothing(
    client: httpx.AsyncClient,
    owner: Any,
    portfolio: str,
    sign_in: Callable[..., Any],
    fake_portfolio: Any,
    problem: Problem,
) -> None:
    reader, stranger = sign_in(), sign_in()
    fake_portfolio.shares[portfolio] = {
        reader.user.id: pf.Share(portfolio_id=portfolio, user_id=reader.user.id, role=pf.ACCESS_ROLE_VIEWER)
    }
    seen = await client.get(f"{API}/{portfolio}/realized-gains", headers=reader.headers)
    assert seen.status_code == 200, seen.text
    problem(await client.get(f"{API}/{portfolio}/realized-gains", headers=stranger.headers), 404)
    problem(await client.get(f"{API}/{uuid.uuid4()}/realized-gains", headers=owner.headers), 404)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2025-13-01", "query.from"),
        ("from=yesterday", "query.from"),
        ("to=2025-02-30", "query.to"),
        ("to=1700000000", "query.to"),
        ("from=2025-03-02&to=2025-03-01", "query.from"),
        ("symbol=AA%3BPL", "query.symbol"),
        ("symbol=" + "A" * 33, "query.symbol"),
        ("symbol=%2e%2e", "query.symbol"),
        ("limit=0", "query.limit"),
        ("limit=201", "query.limit"),
        ("limit=ten", "query.limit"),
        ("cursor=%00", "query.cursor"),
        ("cursor=" + "x" * 1025, "query.cursor"),
    ],
)
async def test_bad_filters_are_422_naming_the_field_without_a_service_call(
    client: httpx.AsyncClient,
    owner: Any,
    portfolio: str,
    fake_portfolio: Any,
    problem: Problem,
    query: str,
    field: str,
) -> None:
    calls = len(fake_portfolio.calls)
    response = await client.get(f"{API}/{portfolio}/realized-gains?{query}", headers=owner.headers)
    assert _fields(problem(response, 422)) == [field]
    assert len(fake_portfolio.calls) == calls


async def test_the_services_refusals_name_the_rest_field(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem
) -> None:
    stale = await client.get(f"{API}/{portfolio}/realized-gains?cursor=not-ours", headers=owner.headers)
    assert _fields(problem(stale, 422)) == ["query.cursor"]
    unknown = await client.get(f"{API}/{portfolio}/realized-gains?symbol=zzzz", headers=owner.headers)
    assert _fields(problem(unknown, 422)) == ["query.symbol"]


async def test_a_malformed_id_is_422_and_a_missing_token_401(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any, problem: Problem
) -> None:
    calls = len(fake_portfolio.calls)
    malformed = await client.get(f"{API}/{portfolio[:-1]}/realized-gains", headers=owner.headers)
    assert _fields(problem(malformed, 422)) == ["path.portfolio_id"]
    problem(await client.get(f"{API}/{portfolio}/realized-gains"), 401)
    assert len(fake_portfolio.calls) == calls


async def test_the_route_is_documented(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/api/v1/portfolios/{portfolio_id}/realized-gains"]["get"]
    assert "average" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "symbol", "limit", "cursor"}
    assert "404" in operation["responses"]
    assert "ClosedLot" in schema["components"]["schemas"]
