"""Hostile options requests: a problem naming the field, never a 500, NaN never in or out, and
no service call for what the gateway can refuse itself."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import orjson
import pytest

Problem = Callable[[httpx.Response, int], dict[str, Any]]
API = "/api/v1/options"
SID = "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84"
MIB = 1024 * 1024
ROW = {"kind": "call", "spot": 100.0, "strike": 105.0, "years": 0.5, "rate": 0.05, "vol": 0.2}
LEG = {"kind": "call", "quantity": 1, "premium": 1, "strike": 100, "expiry_years": 0.5, "vol": 0.2}

ROUTES = [
    ("GET", f"{API}/AAPL/chain"),
    ("GET", f"{API}/AAPL/surface"),
    ("POST", f"{API}/price"),
    ("POST", f"{API}/greeks"),
    ("POST", f"{API}/implied-vol"),
    ("POST", f"{API}/exercise-boundary"),
    ("POST", f"{API}/strategy"),
    ("GET", f"{API}/strategies"),
    ("POST", f"{API}/strategies"),
    ("GET", f"{API}/strategies/{SID}"),
    ("PUT", f"{API}/strategies/{SID}"),
    ("DELETE", f"{API}/strategies/{SID}"),
    ("POST", "/api/v1/analytics/options"),
]


def _fields(body: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["message"] for error in body["errors"]}


@pytest.fixture
def trader(sign_in: Callable[..., Any]) -> Any:
    return sign_in()


def test_every_options_route_is_listed_here(gateway: Any) -> None:
    schema = gateway[0].openapi()
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        if "options" in path
        for method in item
    }
    assert operations == {
        (method, path.replace("AAPL", "{symbol}").replace(SID, "{strategy_id}")) for method, path in ROUTES
    }


def _bad_tokens(keys: Any, user: Any) -> dict[str, dict[str, str]]:
    header, payload, signature = user.token.split(".")
    return {
        "missing": {},
        "expired": {"Authorization": f"Bearer {keys.access_token(user.user.id, expires_in=-60)}"},
        "tampered": {"Authorization": f"Bearer {header}.{payload[:-4]}AAAA.{signature}"},
        "garbage": {"Authorization": "Bearer not-a-token"},
    }


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_refuses_missing_expired_and_tampered_tokens(
    client: httpx.AsyncClient,
    problem: Problem,
    fake_options: Any,
    signing_keys: Any,
    trader: Any,
    method: str,
    path: str,
) -> None:
    calls = len(fake_options.calls)
    for case, headers in _bad_tokens(signing_keys, trader).items():
        response = await client.request(method, path, json={}, headers=headers)
        problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer"), case
    assert len(fake_options.calls) == calls


@pytest.mark.parametrize(
    "path", ["price", "greeks", "implied-vol", "exercise-boundary", "strategy", "strategies"]
)
async def test_malformed_json_is_400(
    client: httpx.AsyncClient, trader: Any, problem: Problem, path: str
) -> None:
    response = await client.post(
        f"{API}/{path}",
        content=b'{"options": [',
        headers={**trader.headers, "content-type": "application/json"},
    )
    body = problem(response, 400)
    assert "not valid JSON" in body["detail"]


async def test_wrong_types_name_each_field(
    client: httpx.AsyncClient, trader: Any, problem: Problem, fake_options: Any
) -> None:
    calls = len(fake_options.calls)
    row = {"kind": 1, "spot": "42", "strike": True, "years": [1], "rate": None, "vol": {"v": 1}, "extra": 1}
    response = await client.post(
        f"{API}/price",
        json={"model": "heston", "style": "bermudan", "options": [ROW, row]},
        headers=trader.headers,
    )
    assert set(_fields(problem(response, 422))) == {
        "body.model",
        "body.style",
        "body.options[1].kind",
        "body.options[1].spot",
        "body.options[1].strike",
        "body.options[1].years",
        "body.options[1].vol",
        "body.options[1].extra",
    }
    payloads: list[dict[str, Any]] = [
        {"options": "all of them"},
        {"options": []},
        {"options": [ROW], "second_order": "yes"},
    ]
    for payload in payloads:
        response = await client.post(f"{API}/greeks", json=payload, headers=trader.headers)
        assert next(iter(_fields(problem(response, 422)))).startswith(("body.options", "body.second_order"))
    assert len(fake_options.calls) == calls


@pytest.mark.parametrize(
    "raw", [b"NaN", b"Infinity", b"-Infinity", b"1e999", b'"0.2"', b"true", b"-0.2", b"0"]
)
async def test_a_figure_must_be_a_finite_number_in_range(
    client: httpx.AsyncClient, trader: Any, problem: Problem, fake_options: Any, raw: bytes
) -> None:
    calls = len(fake_options.calls)
    content = (
        b'{"options": [{"kind": "put", "spot": 100, "strike": 100, "years": 1, "rate": 0, "vol": '
        + raw
        + b"}]}"
    )
    response = await client.post(
        f"{API}/price", content=content, headers={**trader.headers, "content-type": "application/json"}
    )
    assert list(_fields(problem(response, 422))) == ["body.options[0].vol"]
    assert len(fake_options.calls) == calls


async def test_a_batch_over_the_row_limit_is_422_naming_options(
    client: httpx.AsyncClient, trader: Any, problem: Problem, fake_options: Any
) -> None:
    calls = fake_options.count("PriceOptions")
    body = {"rate": 0.05, "options": [ROW] * 10_001}
    response = await client.post(f"{API}/price", json=body, headers=trader.headers)
    assert _fields(problem(response, 422)) == {"body.options": "at most 10000 rows per request, got 10001"}
    assert fake_options.count("PriceOptions") == calls


async def test_ten_thousand_rows_price_and_come_back_in_order(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    rows = [{**ROW, "strike": 50 + index / 100} for index in range(10_000)]
    content = orjson.dumps({"second_order": True, "options": rows}, option=orjson.OPT_INDENT_2)
    assert MIB < len(content) < 4 * MIB  # over the default body limit, within the batch routes' one
    response = await client.post(
        f"{API}/greeks", content=content, headers={**trader.headers, "content-type": "application/json"}
    )
    assert response.status_code == 200, response.text[:300]
    results = response.json()["results"]
    assert len(results) == 10_000
    assert results[9_999]["price"] == pytest.approx(50 + 99.99 + 9.999)
    assert len(fake_options.last("PriceOptions").request.batch.strike) == 10_000


async def test_batch_bodies_have_their_own_size_limit(
    client: httpx.AsyncClient, trader: Any, problem: Problem
) -> None:
    headers = {**trader.headers, "content-type": "application/json"}
    too_big = await client.post(f"{API}/price", content=b" " * (4 * MIB + 1), headers=headers)
    assert str(4 * MIB) in problem(too_big, 413)["detail"]
    elsewhere = await client.post(f"{API}/strategy", content=b" " * (MIB + 1), headers=headers)
    assert str(MIB) in problem(elsewhere, 413)["detail"]


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", f"{API}/%2e%2e/chain", "path.symbol"),
        ("GET", f"{API}/{'A' * 16}/surface", "path.symbol"),
        ("GET", f"{API}/AAPL;DROP/chain", "path.symbol"),
        ("GET", f"{API}/AAPL/chain?expiry=next-friday", "query.expiry[0]"),
        ("GET", f"{API}/AAPL/chain?expiry=2025-02-30", "query.expiry[0]"),
        ("GET", f"{API}/strategies/not-a-uuid", "path.strategy_id"),
        ("DELETE", f"{API}/strategies/{SID}x", "path.strategy_id"),
        ("GET", f"{API}/strategies?limit=0", "query.limit"),
        ("GET", f"{API}/strategies?symbol=..", "query.symbol"),
        ("GET", f"{API}/strategies?cursor=has%20space", "query.cursor"),
    ],
)
async def test_bad_path_and_query_values_name_them(
    client: httpx.AsyncClient,
    trader: Any,
    problem: Problem,
    fake_options: Any,
    method: str,
    path: str,
    field: str,
) -> None:
    calls = len(fake_options.calls)
    response = await client.request(method, path, headers=trader.headers)
    assert list(_fields(problem(response, 422))) == [field]
    assert len(fake_options.calls) == calls


async def test_too_many_expiries_are_refused(
    client: httpx.AsyncClient, trader: Any, problem: Problem
) -> None:
    query = "&".join(["expiry=2025-06-20"] * 61)
    assert list(
        _fields(problem(await client.get(f"{API}/AAPL/chain?{query}", headers=trader.headers), 422))
    ) == ["query.expiry"]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"body.legs"}),
        ({"legs": [LEG]}, {"body.market"}),
        ({"legs": [LEG], "market": {"spot": 1}, "template": "straddle"}, {"body.template"}),
        ({"template": "straddle", "strikes": [100]}, {"body.symbol"}),
        ({"symbol": "AAPL", "template": "straddle"}, {"body.strikes"}),
        ({"symbol": "AAPL", "template": "wheel", "strikes": [1]}, {"body.template"}),
        ({"legs": [], "market": {"spot": 1}}, {"body.legs"}),
        ({"legs": [LEG] * 17, "market": {"spot": 1}}, {"body.legs"}),
        ({"legs": [{**LEG, "strike": None}], "market": {"spot": 1}}, {"body.legs[0].strike"}),
        ({"legs": [{**LEG, "expiry": "2026-01-16"}], "market": {"spot": 1}}, {"body.legs[0].expiry"}),
        ({"legs": [{**LEG, "quantity": 0}], "market": {"spot": 1}}, {"body.legs[0].quantity"}),
        (
            {"legs": [{"kind": "stock", "quantity": 1, "strike": 5}], "market": {"spot": 1}},
            {"body.legs[0].strike", "body.legs[0].premium"},
        ),
        (
            {"legs": [{**LEG, "multiplier": 1.5}], "market": {"spot": -1}},
            {"body.legs[0].multiplier", "body.market.spot"},
        ),
        ({"legs": [LEG], "market": {"spot": 1}, "spot_shocks": [0.1] * 102}, {"body.spot_shocks"}),
        ({"legs": [LEG], "market": {"spot": 1}, "diagram_points": 1}, {"body.diagram_points"}),
    ],
)
async def test_strategy_requests_name_what_is_wrong(
    client: httpx.AsyncClient,
    trader: Any,
    problem: Problem,
    fake_options: Any,
    payload: dict[str, Any],
    fields: set[str],
) -> None:
    calls = len(fake_options.calls)
    response = await client.post(f"{API}/strategy", json=payload, headers=trader.headers)
    assert set(_fields(problem(response, 422))) == fields
    assert len(fake_options.calls) == calls


async def test_saved_strategy_bodies_are_bounded(
    client: httpx.AsyncClient, trader: Any, problem: Problem, fake_options: Any
) -> None:
    body = {"symbol": "A" * 16, "name": "n" * 201, "notes": "x" * 4001, "legs": [{**LEG, "vol": -1}]}
    response = await client.post(f"{API}/strategies", json=body, headers=trader.headers)
    assert set(_fields(problem(response, 422))) == {
        "body.symbol",
        "body.name",
        "body.notes",
        "body.legs[0].vol",
    }
    response = await client.put(
        f"{API}/strategies/{SID}", json={"symbol": "AAPL", "legs": []}, headers=trader.headers
    )
    assert list(_fields(problem(response, 422))) == ["body.legs"]


async def test_analytics_options_needs_one_time_to_expiry(
    client: httpx.AsyncClient, trader: Any, problem: Problem
) -> None:
    body = {"option_type": "call", "spot": 1, "strike": 1, "volatility": 0.2, "rate": 0}
    for extra, message in (({}, "give years or expiry"), ({"years": 1, "expiry": "2026-01-16"}, "not both")):
        response = await client.post(
            "/api/v1/analytics/options", json={**body, **extra}, headers=trader.headers
        )
        assert message in _fields(problem(response, 422))["body.years"]
    response = await client.post(
        "/api/v1/analytics/options",
        json={**body, "years": 1, "kind": "call", "market_price": -1},
        headers=trader.headers,
    )
    assert set(_fields(problem(response, 422))) == {"body.kind", "body.market_price"}


async def test_an_upstream_failure_leaks_nothing(
    client: httpx.AsyncClient, trader: Any, problem: Problem, fake_options: Any
) -> None:
    fake_options.fail_next("GetChain", grpc.StatusCode.INTERNAL, "numpy: secret=hunter2")
    response = await client.get(f"{API}/AAPL/chain", headers=trader.headers)
    assert problem(response, 500)["errors"] == []
    assert "hunter2" not in response.text


async def test_an_unavailable_options_service_is_503(
    make_gateway: Callable[..., Any], trader: Any, problem: Problem
) -> None:
    async with make_gateway(options_addr="127.0.0.1:1") as (_, client):
        response = await client.post(f"{API}/price", json={"options": [ROW]}, headers=trader.headers)
        assert problem(response, 503)["detail"] == "The options service is unavailable; try again shortly."


async def test_a_strategy_id_of_someone_else_is_404_not_403(
    client: httpx.AsyncClient, sign_in: Callable[..., Any], problem: Problem
) -> None:
    owner, stranger = sign_in(), sign_in()
    created = await client.post(
        f"{API}/strategies", json={"symbol": "AAPL", "legs": [LEG]}, headers=owner.headers
    )
    url = f"{API}/strategies/{created.json()['id']}"
    for method in ("GET", "DELETE"):
        problem(await client.request(method, url, headers=stranger.headers), 404)
    problem(await client.get(f"{API}/strategies/{uuid.uuid4()}", headers=stranger.headers), 404)
    assert (await client.get(url, headers=owner.headers)).status_code == 200
