"""Hostile market-data requests: a problem naming the field, never a 500, never a service call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest
from fastapi import FastAPI

from eqr_platform.grpc import FieldViolation

Problem = Callable[[httpx.Response, int], dict[str, Any]]

SYMBOL_ROUTES = ["", "/quote", "/history", "/news", "/fundamentals", "/peers"]


def _fields(body: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["message"] for error in body["errors"]}


@pytest.fixture
def viewer(sign_in: Callable[..., Any]) -> Any:
    return sign_in()


async def _raw_get(app: FastAPI, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Straight to the ASGI app: an HTTP client would resolve the dot segments of ``path`` first."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("203.0.113.7", 51000),
        "server": ("gateway.test", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(message.get("body", b"") for message in sent[1:])


@pytest.mark.parametrize("suffix", SYMBOL_ROUTES)
async def test_unknown_symbol_is_404(
    client: httpx.AsyncClient, viewer: Any, problem: Problem, suffix: str
) -> None:
    body = problem(await client.get(f"/api/v1/stocks/NOSUCH{suffix}", headers=viewer.headers), 404)
    assert body["type"] == "urn:eqr:problem:not-found"
    assert "NOSUCH" in body["detail"]


@pytest.mark.parametrize(
    "segment",
    ["%2e%2e", "%2E%2E", "..%2F..%2Fadmin", "%2e%2e%2fetc%2fpasswd", "A..B", "AAPL%00", "%20", "%2Fetc"],
)
@pytest.mark.parametrize("suffix", ["", "/quote", "/history"])
async def test_a_path_segment_that_is_no_symbol_is_422(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, problem: Problem, segment: str, suffix: str
) -> None:
    calls = len(fake_market.calls)
    response = await client.get(f"/api/v1/stocks/{segment}{suffix}", headers=viewer.headers)
    body = problem(response, 422)
    assert list(_fields(body)) == ["path.symbol"]
    assert len(fake_market.calls) == calls


@pytest.mark.parametrize(
    "path", ["/api/v1/stocks/../quote", "/api/v1/stocks/../../admin/users", "/api/v1/stocks/.."]
)
async def test_literal_dot_segments_are_422(
    gateway: tuple[FastAPI, httpx.AsyncClient], viewer: Any, path: str
) -> None:
    status, body = await _raw_get(gateway[0], path, viewer.headers)
    assert status == 422
    assert b'"field":"path.symbol"' in body


async def test_a_symbol_too_long_or_with_odd_characters(
    client: httpx.AsyncClient, viewer: Any, problem: Problem
) -> None:
    for symbol in ("A" * 16, "AAPL;DROP", "<script>", "AA PL", "^^^", "-", ".A", "=X"):
        response = await client.get(f"/api/v1/stocks/{symbol}/quote", headers=viewer.headers)
        assert list(_fields(problem(response, 422))) == ["path.symbol"], symbol


async def test_lower_case_symbols_are_upper_cased(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any
) -> None:
    assert (await client.get("/api/v1/stocks/brk.b/peers", headers=viewer.headers)).status_code == 200
    assert fake_market.last("ListPeers").request.symbol == "BRK.B"


async def test_nothing_else_lives_under_a_symbol(
    client: httpx.AsyncClient, viewer: Any, problem: Problem
) -> None:
    body = problem(await client.get("/api/v1/stocks/AAPL/nope", headers=viewer.headers), 404)
    assert body["detail"] == "There is nothing at /api/v1/stocks/AAPL/nope."


async def test_10000_symbols_in_one_batch_is_422(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, problem: Problem
) -> None:
    calls = fake_market.count("BatchGetQuotes")
    symbols = ",".join(f"S{index}" for index in range(10_000))
    body = problem(await client.get(f"/api/v1/stocks/quotes?symbols={symbols}", headers=viewer.headers), 422)
    assert _fields(body) == {"query.symbols": "at most 200 symbols per request, got 10000"}
    repeated = [("symbols", f"R{index}") for index in range(201)]
    body = problem(await client.get("/api/v1/stocks/quotes", params=repeated, headers=viewer.headers), 422)
    assert list(_fields(body)) == ["query.symbols"]
    assert fake_market.count("BatchGetQuotes") == calls


async def test_a_batch_names_each_bad_symbol(
    client: httpx.AsyncClient, viewer: Any, problem: Problem
) -> None:
    response = await client.get("/api/v1/stocks/quotes?symbols=AAPL,..,MSFT,a%2Fb", headers=viewer.headers)
    assert set(_fields(problem(response, 422))) == {"query.symbols[1]", "query.symbols[3]"}


@pytest.mark.parametrize("query", ["", "?symbols=", "?symbols=,,,"])
async def test_a_batch_needs_a_symbol(
    client: httpx.AsyncClient, viewer: Any, problem: Problem, query: str
) -> None:
    body = problem(await client.get(f"/api/v1/stocks/quotes{query}", headers=viewer.headers), 422)
    assert list(_fields(body)) == ["query.symbols"]


async def test_inverted_date_range_names_from(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any, problem: Problem
) -> None:
    calls = fake_market.count("GetHistory")
    response = await client.get(
        "/api/v1/stocks/AAPL/history?from=2024-02-01&to=2024-01-01", headers=viewer.headers
    )
    assert list(_fields(problem(response, 422))) == ["query.from"]
    future = await client.get("/api/v1/stocks/AAPL/history?from=2999-01-01", headers=viewer.headers)
    assert list(_fields(problem(future, 422))) == ["query.from"]
    assert fake_market.count("GetHistory") == calls


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("interval=2d", "query.interval"),
        ("interval=1M", "query.interval"),
        ("interval=", "query.interval"),
        ("from=yesterday", "query.from"),
        ("from=2024-13-01", "query.from"),
        ("from=2024-02-30", "query.from"),
        ("to=2024-01-01T25:00:00Z", "query.to"),
        ("to=%27%3B%20DROP%20TABLE", "query.to"),
        ("from=0001-01-01T00:00:00%2B05:00", "query.from"),
        ("to=9999-12-31T23:59:59-05:00", "query.to"),
        ("from=99999999999", "query.from"),
        ("from=1700000000", "query.from"),
        ("range=3y", "query.range"),
        ("range=1y&from=2024-01-01", "query.range"),
        ("range=1y&to=2024-01-01", "query.range"),
        ("adjusted=maybe", "query.adjusted"),
    ],
)
async def test_bad_history_parameters_name_the_field(
    client: httpx.AsyncClient, viewer: Any, problem: Problem, query: str, field: str
) -> None:
    response = await client.get(f"/api/v1/stocks/AAPL/history?{query}", headers=viewer.headers)
    assert list(_fields(problem(response, 422))) == [field]


@pytest.mark.parametrize(
    ("violation", "query", "field"),
    [
        ("from", "from=2024-01-01", "query.from"),
        ("from", "interval=1m&range=5d", "query.range"),
        ("to", "to=2024-01-01", "query.to"),
        ("range", "range=max", "query.range"),
        ("interval", "interval=1m", "query.interval"),
        ("symbol", "", "path.symbol"),
        ("start", "from=2024-01-01", "query.from"),
        ("end", "to=2024-01-01", "query.to"),
    ],
)
async def test_service_field_violations_get_rest_names(
    client: httpx.AsyncClient,
    viewer: Any,
    fake_market: Any,
    problem: Problem,
    violation: str,
    query: str,
    field: str,
) -> None:
    fake_market.fail_next(
        "GetHistory",
        grpc.StatusCode.INVALID_ARGUMENT,
        "range too long for the interval",
        violations=[FieldViolation(violation, "range too long for the interval")],
    )
    response = await client.get(f"/api/v1/stocks/AAPL/history?{query}", headers=viewer.headers)
    assert _fields(problem(response, 422)) == {field: "range too long for the interval"}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/stocks/search?q=a&limit=1000000", "query.limit"),
        ("/api/v1/stocks/search?q=a&limit=0", "query.limit"),
        ("/api/v1/stocks/search?q=a&limit=ten", "query.limit"),
        ("/api/v1/stocks/search?q=" + "x" * 101, "query.q"),
        ("/api/v1/stocks/search?q=", "query.q"),
        ("/api/v1/stocks/search", "query.q"),
        ("/api/v1/market/movers?limit=51", "query.limit"),
        ("/api/v1/market/movers?limit=-1", "query.limit"),
        ("/api/v1/stocks/AAPL/news?limit=101", "query.limit"),
        ("/api/v1/stocks/AAPL/news?limit=1.5", "query.limit"),
        ("/api/v1/stocks/AAPL/peers?limit=99999999999999999999", "query.limit"),
        ("/api/v1/stocks/AAPL/fundamentals?limit=41", "query.limit"),
        ("/api/v1/stocks/AAPL/fundamentals?period=monthly", "query.period"),
    ],
)
async def test_huge_limits_and_wrong_types(
    client: httpx.AsyncClient, viewer: Any, problem: Problem, path: str, field: str
) -> None:
    assert list(_fields(problem(await client.get(path, headers=viewer.headers), 422))) == [field]


async def test_authentication_comes_before_validation(client: httpx.AsyncClient, problem: Problem) -> None:
    problem(await client.get("/api/v1/stocks/AAPL/history?interval=bogus"), 401)
    problem(await client.get("/api/v1/stocks/quotes?symbols=" + ",".join(["X"] * 300)), 401)


async def test_search_text_passes_through_intact(
    client: httpx.AsyncClient, viewer: Any, fake_market: Any
) -> None:
    text = "Robert'); DROP TABLE instruments;-- %"
    response = await client.get("/api/v1/stocks/search", params={"q": text}, headers=viewer.headers)
    assert response.status_code == 200
    assert response.json() == {"items": []}
    assert fake_market.last("SearchInstruments").request.query == text
