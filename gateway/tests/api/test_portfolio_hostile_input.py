"""Hostile portfolio requests: a problem naming the field, never a 500, and no service call."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import httpx
import pytest

from eqr_platform.grpc import FieldViolation

Problem = Callable[[httpx.Response, int], dict[str, Any]]
API = "/api/v1/portfolios"
PID = "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84"
TID = "9d4e1b7a-3c2f-4e8d-b1a0-6f5e4d3c2b1a"
MIB = 1024 * 1024
CSV_HEADER = b"date,type,symbol,quantity,price,amount,ratio,commission,notes\n"
CSV_ROW = b"2025-01-15,buy,AAPL,10.5,185.2034,,,1.00,rebalance lot 0123456789\n"

ROUTES = [
    ("GET", API),
    ("POST", API),
    ("POST", f"{API}/import"),
    ("POST", f"{API}/from-template"),
    ("GET", f"{API}/{PID}"),
    ("PATCH", f"{API}/{PID}"),
    ("DELETE", f"{API}/{PID}"),
    ("GET", f"{API}/{PID}/history"),
    ("GET", f"{API}/{PID}/export"),
    ("GET", f"{API}/{PID}/transactions"),
    ("POST", f"{API}/{PID}/transactions"),
    ("PUT", f"{API}/{PID}/transactions/{TID}"),
    ("DELETE", f"{API}/{PID}/transactions/{TID}"),
    ("POST", f"{API}/{PID}/transactions/{TID}/restore"),
    ("POST", f"{API}/{PID}/transactions/import"),
    ("GET", f"{API}/{PID}/transactions/export"),
    ("GET", f"{API}/{PID}/holdings"),
    ("GET", f"{API}/{PID}/realized-gains"),
    ("POST", f"{API}/{PID}/holdings"),
    ("PUT", f"{API}/{PID}/holdings/AAPL"),
    ("DELETE", f"{API}/{PID}/holdings/AAPL"),
    ("GET", f"{API}/{PID}/performance"),
    ("GET", f"{API}/{PID}/risk"),
    ("GET", f"{API}/{PID}/shares"),
    ("POST", f"{API}/{PID}/shares"),
    ("DELETE", f"{API}/{PID}/shares/{TID}"),
    ("GET", f"{API}/{PID}/alerts"),
    ("POST", f"{API}/{PID}/alerts"),
    ("GET", f"{API}/{PID}/alerts/triggers"),
    ("DELETE", f"{API}/{PID}/alerts/{TID}"),
    ("POST", f"{API}/{PID}/rebalance"),
    ("POST", f"{API}/{PID}/rebalance/apply"),
    ("GET", "/api/v1/portfolio-templates"),
    ("POST", "/api/v1/portfolio-templates"),
    ("DELETE", "/api/v1/portfolio-templates/builtin:sixty-forty"),
]


def _fields(body: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["message"] for error in body["errors"]}


@pytest.fixture
def owner(sign_in: Callable[..., Any]) -> Any:
    return sign_in()


@pytest.fixture
async def portfolio(client: httpx.AsyncClient, owner: Any) -> str:
    response = await client.post(API, json={"name": "Target"}, headers=owner.headers)
    portfolio_id: str = response.json()["id"]
    return portfolio_id


def test_every_portfolio_route_is_listed_here(gateway: Any) -> None:
    app = gateway[0]
    schema = app.openapi()
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        if "portfolio" in path
        for method in item
    }
    assert len(operations) == len(ROUTES) == 35


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_needs_a_signed_in_user(
    client: httpx.AsyncClient, problem: Problem, fake_portfolio: Any, method: str, path: str
) -> None:
    calls = len(fake_portfolio.calls)
    response = await client.request(method, path, json={})
    problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert len(fake_portfolio.calls) == calls


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", f"{API}/not-a-uuid", "path.portfolio_id"),
        ("GET", f"{API}/{PID[:-1]}/holdings", "path.portfolio_id"),
        ("POST", f"{API}/{PID}/transactions/12345/restore", "path.transaction_id"),
        ("DELETE", f"{API}/{PID}/alerts/{TID}x", "path.alert_id"),
        ("DELETE", f"{API}/{PID}/shares/me", "path.user_id"),
        ("DELETE", "/api/v1/portfolio-templates/builtin:Not_A_Slug", "path.template_id"),
        ("DELETE", "/api/v1/portfolio-templates/%2e%2e", "path.template_id"),
        ("DELETE", f"{API}/{PID}/holdings/%2e%2e", "path.symbol"),
        ("DELETE", f"{API}/{PID}/holdings/{'A' * 33}", "path.symbol"),
        ("DELETE", f"{API}/{PID}/holdings/AAPL%3BDROP", "path.symbol"),
    ],
)
async def test_malformed_path_params_are_422_naming_them(
    client: httpx.AsyncClient,
    owner: Any,
    problem: Problem,
    fake_portfolio: Any,
    method: str,
    path: str,
    field: str,
) -> None:
    calls = len(fake_portfolio.calls)
    response = await client.request(method, path, headers=owner.headers)
    assert list(_fields(problem(response, 422))) == [field]
    assert len(fake_portfolio.calls) == calls


async def test_malformed_json_is_400(client: httpx.AsyncClient, owner: Any, problem: Problem) -> None:
    for path in (API, f"{API}/import"):
        response = await client.post(
            path, content=b'{"name": "x",', headers={**owner.headers, "content-type": "application/json"}
        )
        body = problem(response, 400)
        assert "not valid JSON" in body["detail"]
        assert list(_fields(body)) == ["body"]


async def test_wrong_types_name_each_field(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem, fake_portfolio: Any
) -> None:
    calls = len(fake_portfolio.calls)
    response = await client.post(
        f"{API}/{portfolio}/transactions",
        json={
            "kind": 1,
            "trade_date": 20250115,
            "symbol": ["AAPL"],
            "quantity": True,
            "price": {"value": "1"},
            "notes": 5,
            "extra": 1,
        },
        headers=owner.headers,
    )
    fields = _fields(problem(response, 422))
    assert set(fields) == {
        "body.kind",
        "body.trade_date",
        "body.symbol",
        "body.quantity",
        "body.price",
        "body.notes",
        "body.extra",
    }
    assert "true or false" in fields["body.quantity"]
    response = await client.post(
        API, json={"name": 5, "allow_short": "yes", "base_currency": 840}, headers=owner.headers
    )
    assert set(_fields(problem(response, 422))) == {"body.name", "body.allow_short", "body.base_currency"}
    assert len(fake_portfolio.calls) == calls


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        (API, {"name": "x", "cost_method": "FIFO"}, "body.cost_method"),
        (API, {"name": "x", "cash_mode": "loose"}, "body.cash_mode"),
        (f"{API}/{{pid}}/transactions", {"kind": "purchase", "trade_date": "2025-01-02"}, "body.kind"),
        (f"{API}/{{pid}}/shares", {"email": "a@example.com", "role": "owner"}, "body.role"),
        (f"{API}/{{pid}}/alerts", {"kind": "price", "threshold": "1"}, "body.kind"),
        (
            f"{API}/{{pid}}/rebalance/apply",
            {"trades": [{"symbol": "A", "side": "hold", "quantity": "1", "price": "1"}]},
            "body.trades[0].side",
        ),
    ],
)
async def test_bad_enum_strings_are_422(
    client: httpx.AsyncClient,
    owner: Any,
    portfolio: str,
    problem: Problem,
    path: str,
    payload: Any,
    field: str,
) -> None:
    response = await client.post(path.format(pid=portfolio), json=payload, headers=owner.headers)
    assert list(_fields(problem(response, 422))) == [field]


@pytest.mark.parametrize(
    "raw_quantity",
    [
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b'"NaN"',
        b'"Infinity"',
        b'"1e999999"',
        b'"12,50"',
        b'""',
        b'" "',
        b"true",
        b"[]",
        b'"0x10"',
        b"1e99",
    ],
)
async def test_a_decimal_must_be_a_finite_number(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem, raw_quantity: bytes
) -> None:
    raw = (
        b'{"kind":"buy","trade_date":"2025-01-15","symbol":"AAPL","price":"1","quantity":'
        + raw_quantity
        + b"}"
    )
    response = await client.post(
        f"{API}/{portfolio}/transactions",
        content=raw,
        headers={**owner.headers, "content-type": "application/json"},
    )
    assert list(_fields(problem(response, 422))) == ["body.quantity"]


@pytest.mark.parametrize(
    ("raw", "sent"), [("1e3", "1000"), ("-0.50", "-0.50"), (" 7 ", "7"), ("+2", "2"), (".5", "0.5")]
)
async def test_decimal_text_is_passed_on_plainly(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any, raw: str, sent: str
) -> None:
    response = await client.post(
        f"{API}/{portfolio}/transactions",
        json={"kind": "deposit", "trade_date": "2025-01-15", "amount": raw},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    assert fake_portfolio.last("RecordTransaction").request.transaction.amount.value == sent


@pytest.mark.parametrize(
    ("trade_date", "message"),
    [
        ("2025-02-30", "is not a valid calendar date"),
        ("15/01/2025", "must be a date written YYYY-MM-DD"),
        ("2025-01-15T00:00:00Z", "must be a date written YYYY-MM-DD"),
    ],
)
async def test_dates_are_calendar_days(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem, trade_date: str, message: str
) -> None:
    response = await client.post(
        f"{API}/{portfolio}/transactions",
        json={"kind": "deposit", "trade_date": trade_date, "amount": "1"},
        headers=owner.headers,
    )
    assert _fields(problem(response, 422)) == {"body.trade_date": message}


async def test_overlong_strings_are_refused_at_the_edge(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem, fake_portfolio: Any
) -> None:
    calls = len(fake_portfolio.calls)
    response = await client.post(
        API, json={"name": "n" * 101, "description": "d" * 2001, "benchmark": "B" * 33}, headers=owner.headers
    )
    assert set(_fields(problem(response, 422))) == {"body.name", "body.description", "body.benchmark"}
    response = await client.post(
        f"{API}/{portfolio}/transactions",
        json={
            "kind": "buy",
            "trade_date": "2025-01-02",
            "symbol": "A",
            "notes": "x" * 1001,
            "quantity": "1" * 65,
        },
        headers=owner.headers,
    )
    assert set(_fields(problem(response, 422))) == {"body.notes", "body.quantity"}
    response = await client.post(
        f"{API}/{portfolio}/rebalance",
        json={"targets": [{"symbol": "A", "weight": "0.001"}] * 101},
        headers=owner.headers,
    )
    assert list(_fields(problem(response, 422))) == ["body.targets"]
    assert len(fake_portfolio.calls) == calls


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "query.limit"),
        ("limit=201", "query.limit"),
        ("limit=ten", "query.limit"),
        ("cursor=has%20space", "query.cursor"),
        (f"cursor={'x' * 1025}", "query.cursor"),
        ("symbol=..", "query.symbol"),
        ("include_deleted=maybe", "query.include_deleted"),
    ],
)
async def test_bad_list_parameters_name_them(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem, query: str, field: str
) -> None:
    response = await client.get(f"{API}/{portfolio}/transactions?{query}", headers=owner.headers)
    assert list(_fields(problem(response, 422))) == [field]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("holdings?as_of=yesterday", "query.as_of"),
        ("holdings?as_of=2025-13-01", "query.as_of"),
        ("performance?from=2025-01-01T00:00:00", "query.from"),
        ("risk?to=2025-02-29", "query.to"),
        ("risk?risk_free_rate=NaN", "query.risk_free_rate"),
        ("risk?risk_free_rate=4%25", "query.risk_free_rate"),
        ("transactions/import?format=xml", "query.format"),
    ],
)
async def test_bad_query_values_name_them(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem, path: str, field: str
) -> None:
    method = "POST" if "import" in path else "GET"
    response = await client.request(
        method,
        f"{API}/{portfolio}/{path}",
        content=b"x",
        headers={**owner.headers, "content-type": "text/csv"},
    )
    assert list(_fields(problem(response, 422))) == [field]


async def test_remove_holding_price_must_be_a_decimal(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem
) -> None:
    response = await client.delete(f"{API}/{portfolio}/holdings/AAPL?price=Infinity", headers=owner.headers)
    assert _fields(problem(response, 422)) == {"query.price": "must be a finite number"}


async def test_a_csv_that_is_not_utf8_is_422_naming_the_body(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem, fake_portfolio: Any
) -> None:
    calls = fake_portfolio.count("ImportTransactions")
    latin1 = CSV_HEADER + "2025-01-15,buy,AAPL,1,1,,,,café\n".encode("latin-1")
    response = await client.post(
        f"{API}/{portfolio}/transactions/import",
        content=latin1,
        headers={**owner.headers, "content-type": "text/csv"},
    )
    assert _fields(problem(response, 422)) == {"body": f"must be UTF-8 text (byte {len(latin1) - 2} is not)"}
    empty = await client.post(
        f"{API}/{portfolio}/transactions/import",
        content=b"",
        headers={**owner.headers, "content-type": "text/csv"},
    )
    assert list(_fields(problem(empty, 422))) == ["body"]
    assert fake_portfolio.count("ImportTransactions") == calls


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=x", "image/png"])
async def test_a_csv_import_in_another_media_type_is_415(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem, content_type: str
) -> None:
    response = await client.post(
        f"{API}/{portfolio}/transactions/import",
        content=CSV_HEADER,
        headers={**owner.headers, "content-type": content_type},
    )
    assert "text/csv" in problem(response, 415)["detail"]


async def test_a_100k_row_csv_fits_the_import_route_only(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem, fake_portfolio: Any
) -> None:
    big = CSV_HEADER + CSV_ROW * 100_000
    assert 6 * MIB < len(big) < 8 * MIB
    response = await client.post(
        f"{API}/{portfolio}/transactions/import?dry_run=true",
        content=big,
        headers={**owner.headers, "content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text[:500]
    assert response.json()["rows"] == 100_000
    assert len(fake_portfolio.last("ImportTransactions").request.content) == len(big)
    elsewhere = await client.post(
        f"{API}/{portfolio}/transactions",
        content=big,
        headers={**owner.headers, "content-type": "application/json"},
    )
    assert "1048576" in problem(elsewhere, 413)["detail"]
    # A whole portfolio document may be as large as its transaction file: the same limit.
    document = await client.post(
        f"{API}/import", content=big, headers={**owner.headers, "content-type": "application/json"}
    )
    assert document.status_code == 400  # through the size check, refused as the CSV it is


async def test_the_import_limit_holds_by_length_and_while_streaming(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem
) -> None:
    url = f"{API}/{portfolio}/transactions/import"
    headers = {**owner.headers, "content-type": "text/csv"}
    declared = await client.post(url, content=b"x" * (8 * MIB + 1), headers=headers)
    assert str(8 * MIB) in problem(declared, 413)["detail"]

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(9):
            yield b"y" * MIB

    streamed = await client.post(url, content=chunks(), headers=headers)
    assert "content-length" not in streamed.request.headers
    problem(streamed, 413)


async def test_the_import_limit_is_a_setting(
    make_gateway: Callable[..., Any], owner: Any, problem: Problem, fake_portfolio: Any
) -> None:
    async with make_gateway(max_transaction_import_bytes=100) as (_, client):
        created = await client.post(API, json={"name": "Small"}, headers=owner.headers)
        url = f"{API}/{created.json()['id']}/transactions/import"
        response = await client.post(
            url, content=CSV_HEADER * 2, headers={**owner.headers, "content-type": "text/csv"}
        )
        assert "100 bytes" in problem(response, 413)["detail"]


async def test_a_document_that_is_not_an_object(
    client: httpx.AsyncClient, owner: Any, problem: Problem, fake_portfolio: Any
) -> None:
    calls = fake_portfolio.count("ImportPortfolio")
    for raw in (b"[1, 2]", b'"eqr.portfolio"', b"\xff\xfe{}"):
        response = await client.post(
            f"{API}/import", content=raw, headers={**owner.headers, "content-type": "application/json"}
        )
        assert list(_fields(problem(response, 422))) == ["body"], raw
    assert fake_portfolio.count("ImportPortfolio") == calls


async def test_service_field_names_for_ids_read_as_path_params(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any, problem: Problem
) -> None:
    fake_portfolio.fail_next(
        "RestoreTransaction",
        grpc.StatusCode.INVALID_ARGUMENT,
        "bad ids",
        violations=[
            FieldViolation("portfolio_id", "must be a UUID"),
            FieldViolation("transaction_id", "must be a UUID"),
        ],
    )
    response = await client.post(f"{API}/{portfolio}/transactions/{TID}/restore", headers=owner.headers)
    assert list(_fields(problem(response, 422))) == ["path.portfolio_id", "path.transaction_id"]


async def test_an_upstream_internal_error_leaks_nothing(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any, problem: Problem
) -> None:
    fake_portfolio.fail_next("GetValuation", grpc.StatusCode.INTERNAL, "psycopg: password=hunter2")
    response = await client.get(f"{API}/{portfolio}/holdings", headers=owner.headers)
    assert problem(response, 500)["errors"] == []
    assert "hunter2" not in response.text


def _creates(portfolio: str) -> list[tuple[str, str, Any]]:
    """(path, service method, body) of every POST that creates something."""
    trade = {"symbol": "SPY", "side": "buy", "quantity": "1", "price": "100"}
    return [
        (API, "CreatePortfolio", {"name": "Once"}),
        (
            f"{API}/import",
            "ImportPortfolio",
            {"format": "eqr.portfolio", "portfolio": {"name": "I"}, "transactions": []},
        ),
        (
            f"{API}/from-template",
            "CreatePortfolioFromTemplate",
            {"template_id": "builtin:sixty-forty", "portfolio": {"name": "T"}, "initial_cash": "100"},
        ),
        (
            f"{API}/{portfolio}/transactions",
            "RecordTransaction",
            {"kind": "deposit", "trade_date": "2025-01-02", "amount": "5"},
        ),
        (f"{API}/{portfolio}/holdings", "AddHolding", {"symbol": "AAPL", "quantity": "1"}),
        (f"{API}/{portfolio}/shares", "SharePortfolio", {"email": "ada@example.com", "role": "viewer"}),
        (f"{API}/{portfolio}/alerts", "CreateAlert", {"kind": "portfolio_drawdown", "threshold": "10"}),
        (f"{API}/{portfolio}/rebalance/apply", "ApplyRebalance", {"trades": [trade]}),
        (
            "/api/v1/portfolio-templates",
            "SaveTemplate",
            {"name": "Mine", "weights": [{"symbol": "A", "weight": "1"}]},
        ),
    ]


@pytest.mark.parametrize("index", range(9))
async def test_every_create_honours_idempotency_key(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any, index: int
) -> None:
    path, method, payload = _creates(portfolio)[index]
    headers = {**owner.headers, "Idempotency-Key": str(uuid.uuid4())}
    calls = fake_portfolio.count(method)
    first = await client.post(path, json=payload, headers=headers)
    second = await client.post(path, json=payload, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201), first.text
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert fake_portfolio.count(method) == calls + 1


async def test_a_key_reused_on_another_portfolio_is_422_not_a_replay(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any, problem: Problem
) -> None:
    other = (await client.post(API, json={"name": "Other"}, headers=owner.headers)).json()["id"]
    headers = {**owner.headers, "Idempotency-Key": str(uuid.uuid4())}
    deposit = {"kind": "deposit", "trade_date": "2024-01-02", "amount": "100"}
    calls = fake_portfolio.count("RecordTransaction")
    assert (
        await client.post(f"{API}/{portfolio}/transactions", json=deposit, headers=headers)
    ).status_code == 201
    elsewhere = await client.post(f"{API}/{other}/transactions", json=deposit, headers=headers)
    assert list(_fields(problem(elsewhere, 422))) == ["header.Idempotency-Key"]
    assert fake_portfolio.count("RecordTransaction") == calls + 1


async def test_a_csv_import_honours_idempotency_key(
    client: httpx.AsyncClient, owner: Any, portfolio: str, fake_portfolio: Any, problem: Problem
) -> None:
    url = f"{API}/{portfolio}/transactions/import"
    headers = {**owner.headers, "content-type": "text/csv", "Idempotency-Key": str(uuid.uuid4())}
    calls = fake_portfolio.count("ImportTransactions")
    first = await client.post(url, content=CSV_HEADER + CSV_ROW, headers=headers)
    second = await client.post(url, content=CSV_HEADER + CSV_ROW, headers=headers)
    assert (first.json(), second.headers["idempotent-replayed"]) == (second.json(), "true")
    assert fake_portfolio.count("ImportTransactions") == calls + 1
    other_file = await client.post(url, content=CSV_HEADER + CSV_ROW * 2, headers=headers)
    assert list(_fields(problem(other_file, 422))) == ["header.Idempotency-Key"]


@pytest.mark.parametrize("raw", [b'{"amount": ' + b"9" * 5000 + b"}", b"[" * 100_000 + b"]" * 100_000])
async def test_json_a_parser_cannot_take_is_400_not_500(
    client: httpx.AsyncClient, owner: Any, portfolio: str, problem: Problem, raw: bytes
) -> None:
    response = await client.post(
        f"{API}/{portfolio}/transactions",
        content=raw,
        headers={**owner.headers, "content-type": "application/json"},
    )
    problem(response, 400)
