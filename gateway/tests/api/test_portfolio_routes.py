"""/api/v1/portfolios: settings, the ledger, files and the audit trail, mapped both ways."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest

from eqr.portfolio.v1 import portfolio_service_pb2 as pf_pb
from eqr.portfolio.v1 import resources_pb2 as pf
from eqr_gateway.schemas.portfolio import (
    ChangePage,
    ImportedPortfolio,
    Portfolio,
    PortfolioPage,
    Transaction,
    TransactionImportReport,
    TransactionPage,
)
from eqr_platform.grpc import FieldViolation

Problem = Callable[[httpx.Response, int], dict[str, Any]]
API = "/api/v1/portfolios"
HEADER = "date,type,symbol,quantity,price,amount,ratio,commission,notes\n"


@pytest.fixture
def owner(sign_in: Callable[..., Any]) -> Any:
    return sign_in()


async def create_portfolio(client: httpx.AsyncClient, who: Any, **settings: Any) -> dict[str, Any]:
    response = await client.post(API, json={"name": "Retirement", **settings}, headers=who.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def record(client: httpx.AsyncClient, who: Any, portfolio_id: str, **entry: Any) -> dict[str, Any]:
    payload = {
        "kind": "buy",
        "trade_date": "2025-01-15",
        "symbol": "AAPL",
        "quantity": "10",
        "price": "185.20",
    }
    response = await client.post(
        f"{API}/{portfolio_id}/transactions", json={**payload, **entry}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_sends_every_setting_and_answers_the_portfolio(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any
) -> None:
    body = await create_portfolio(
        client,
        owner,
        description="Long-term",
        base_currency="eur",
        benchmark="^gspc",
        cost_method="average",
        cash_mode="strict",
        allow_short=True,
    )
    Portfolio.model_validate(body)
    call = fake_portfolio.last("CreatePortfolio")
    sent = call.request.portfolio
    assert (sent.name, sent.description, sent.base_currency, sent.benchmark) == (
        "Retirement",
        "Long-term",
        "EUR",
        "^GSPC",
    )
    assert (sent.cost_method, sent.cash_mode, sent.allow_short) == (
        pf.COST_METHOD_AVERAGE,
        pf.CASH_MODE_STRICT,
        True,
    )
    assert call.metadata["authorization"] == f"Bearer {owner.token}"
    assert body["owner_id"] == owner.user.id
    assert (body["cost_method"], body["cash_mode"], body["access"]) == ("average", "strict", "owner")
    assert body["benchmark"] == "^GSPC"
    assert body["created_at"].endswith("Z")


async def test_create_defaults(client: httpx.AsyncClient, owner: Any, fake_portfolio: Any) -> None:
    body = await create_portfolio(client, owner)
    sent = fake_portfolio.last("CreatePortfolio").request.portfolio
    assert (sent.base_currency, sent.cost_method, sent.cash_mode, sent.benchmark) == (
        "USD",
        pf.COST_METHOD_FIFO,
        pf.CASH_MODE_TRACKING,
        "",
    )
    assert body["benchmark"] is None


async def test_get_list_and_delete(
    client: httpx.AsyncClient, owner: Any, sign_in: Callable[..., Any]
) -> None:
    first = await create_portfolio(client, owner, name="One")
    second = await create_portfolio(client, owner, name="Two")
    got = await client.get(f"{API}/{first['id']}", headers=owner.headers)
    assert got.json() == first
    page = (await client.get(f"{API}?limit=1", headers=owner.headers)).json()
    PortfolioPage.model_validate(page)
    assert [p["id"] for p in page["items"]] == [first["id"]]
    rest = (await client.get(f"{API}?limit=1&cursor={page['next_cursor']}", headers=owner.headers)).json()
    assert [p["id"] for p in rest["items"]] == [second["id"]]
    assert rest["next_cursor"] is None
    stranger = sign_in()
    assert (await client.get(f"{API}/{first['id']}", headers=stranger.headers)).status_code == 404
    deleted = await client.delete(f"{API}/{first['id']}", headers=owner.headers)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await client.get(f"{API}/{first['id']}", headers=owner.headers)).status_code == 404


async def test_patch_sends_only_the_fields_given(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any
) -> None:
    created = await create_portfolio(client, owner, benchmark="SPY", description="d")
    response = await client.patch(
        f"{API}/{created['id']}", json={"name": "Renamed", "benchmark": None}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    call = fake_portfolio.last("UpdatePortfolio")
    assert list(call.request.update_mask) == ["benchmark", "name"]
    assert (call.request.portfolio.name, call.request.portfolio.benchmark) == ("Renamed", "")
    body = response.json()
    assert (body["name"], body["benchmark"], body["description"]) == ("Renamed", None, "d")


async def test_an_empty_patch_reads_the_portfolio(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any
) -> None:
    created = await create_portfolio(client, owner)
    updates = fake_portfolio.count("UpdatePortfolio")
    response = await client.patch(f"{API}/{created['id']}", json={}, headers=owner.headers)
    assert response.json() == created
    assert fake_portfolio.count("UpdatePortfolio") == updates


async def test_patch_refuses_null_for_a_setting_that_cannot_be_cleared(
    client: httpx.AsyncClient, owner: Any, problem: Problem
) -> None:
    created = await create_portfolio(client, owner)
    response = await client.patch(
        f"{API}/{created['id']}", json={"name": None, "cost_method": None}, headers=owner.headers
    )
    body = problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"body.name", "body.cost_method"}


async def test_settings_violations_read_in_rest_terms(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any, problem: Problem
) -> None:
    created = await create_portfolio(client, owner)
    fake_portfolio.fail_next(
        "UpdatePortfolio",
        grpc.StatusCode.INVALID_ARGUMENT,
        "the ledger breaks the new rules",
        violations=[FieldViolation("portfolio.cash_mode", "cash goes negative on 2025-01-15")],
    )
    response = await client.patch(
        f"{API}/{created['id']}", json={"cash_mode": "strict"}, headers=owner.headers
    )
    assert problem(response, 422)["errors"] == [
        {"field": "body.cash_mode", "message": "cash goes negative on 2025-01-15"}
    ]


async def test_a_viewer_share_may_read_but_not_write(
    client: httpx.AsyncClient, owner: Any, sign_in: Callable[..., Any], fake_portfolio: Any, problem: Problem
) -> None:
    created = await create_portfolio(client, owner)
    reader = sign_in()
    fake_portfolio.shares[created["id"]] = {
        reader.user.id: pf.Share(
            portfolio_id=created["id"], user_id=reader.user.id, role=pf.ACCESS_ROLE_VIEWER
        )
    }
    seen = await client.get(f"{API}/{created['id']}", headers=reader.headers)
    assert seen.json()["access"] == "viewer"
    listed = (await client.get(API, headers=reader.headers)).json()
    assert [p["id"] for p in listed["items"]] == [created["id"]]
    problem(await client.patch(f"{API}/{created['id']}", json={"name": "x"}, headers=reader.headers), 403)


async def test_record_a_transaction(client: httpx.AsyncClient, owner: Any, fake_portfolio: Any) -> None:
    portfolio = await create_portfolio(client, owner)
    body = await record(client, owner, portfolio["id"], symbol="aapl", commission=1.5, notes="first lot")
    Transaction.model_validate(body)
    sent = fake_portfolio.last("RecordTransaction").request
    assert sent.portfolio_id == portfolio["id"]
    entry = sent.transaction
    assert (entry.kind, entry.symbol, entry.quantity.value, entry.price.value) == (
        pf.TRANSACTION_KIND_BUY,
        "AAPL",
        "10",
        "185.20",
    )
    assert (entry.trade_date.year, entry.trade_date.month, entry.trade_date.day) == (2025, 1, 15)
    assert entry.commission.value == "1.5"
    assert not entry.HasField("amount")
    assert not entry.HasField("ratio")
    assert body["kind"] == "buy"
    assert (body["quantity"], body["price"], body["amount"], body["commission"]) == (
        "10",
        "185.20",
        "0",
        "1.5",
    )
    assert (body["trade_date"], body["created_by"], body["deleted_at"]) == ("2025-01-15", owner.user.id, None)


async def test_json_numbers_keep_their_text(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any
) -> None:
    portfolio = await create_portfolio(client, owner)
    url = f"{API}/{portfolio['id']}/transactions"
    raw = (
        b'{"kind":"deposit","trade_date":"2025-01-02",'
        b'"amount":12345678901234567.10,"commission":0.10,"quantity":0}'
    )
    response = await client.post(
        url, content=raw, headers={**owner.headers, "content-type": "application/json"}
    )
    assert response.status_code == 201, response.text
    entry = fake_portfolio.last("RecordTransaction").request.transaction
    assert (entry.amount.value, entry.commission.value, entry.quantity.value) == (
        "12345678901234567.10",
        "0.10",
        "0",
    )
    assert response.json()["amount"] == "12345678901234567.10"


async def test_list_update_delete_restore_transactions(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any
) -> None:
    portfolio = await create_portfolio(client, owner)
    base = f"{API}/{portfolio['id']}/transactions"
    deposit = await record(
        client, owner, portfolio["id"], kind="deposit", symbol=None, quantity=None, price=None, amount="5000"
    )
    buy = await record(client, owner, portfolio["id"])
    replaced = await client.put(
        f"{base}/{buy['id']}",
        json={"kind": "buy", "trade_date": "2025-01-16", "symbol": "MSFT", "quantity": "2", "price": "410"},
        headers=owner.headers,
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["symbol"], replaced.json()["trade_date"]) == ("MSFT", "2025-01-16")
    assert fake_portfolio.last("UpdateTransaction").request.transaction_id == buy["id"]
    assert (await client.delete(f"{base}/{deposit['id']}", headers=owner.headers)).status_code == 204
    live = (await client.get(base, headers=owner.headers)).json()
    TransactionPage.model_validate(live)
    assert [t["id"] for t in live["items"]] == [buy["id"]]
    everything = (await client.get(f"{base}?include_deleted=true&limit=200", headers=owner.headers)).json()
    assert [t["deleted_at"] is not None for t in everything["items"]] == [True, False]
    sent = fake_portfolio.last("ListTransactions").request
    assert (sent.include_deleted, sent.page.page_size) == (True, 200)
    restored = await client.post(f"{base}/{deposit['id']}/restore", headers=owner.headers)
    assert (restored.status_code, restored.json()["deleted_at"]) == (200, None)
    only_msft = (await client.get(f"{base}?symbol=msft", headers=owner.headers)).json()
    assert [t["symbol"] for t in only_msft["items"]] == ["MSFT"]
    assert fake_portfolio.last("ListTransactions").request.symbol == "MSFT"


async def test_a_ledger_refusal_names_the_body_field(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any, problem: Problem
) -> None:
    portfolio = await create_portfolio(client, owner)
    fake_portfolio.fail_next(
        "RecordTransaction",
        grpc.StatusCode.INVALID_ARGUMENT,
        "you hold 0 AAPL on 2025-01-15",
        violations=[FieldViolation("transaction.quantity", "you hold 0 AAPL on 2025-01-15")],
    )
    response = await client.post(
        f"{API}/{portfolio['id']}/transactions",
        json={"kind": "sell", "trade_date": "2025-01-15", "symbol": "AAPL", "quantity": "5", "price": "1"},
        headers=owner.headers,
    )
    body = problem(response, 422)
    assert body["errors"] == [{"field": "body.quantity", "message": "you hold 0 AAPL on 2025-01-15"}]
    assert body["detail"] == "you hold 0 AAPL on 2025-01-15"


async def test_a_missing_transaction_is_404(client: httpx.AsyncClient, owner: Any, problem: Problem) -> None:
    portfolio = await create_portfolio(client, owner)
    response = await client.delete(
        f"{API}/{portfolio['id']}/transactions/{uuid.uuid4()}", headers=owner.headers
    )
    problem(response, 404)


async def test_import_a_csv(client: httpx.AsyncClient, owner: Any, fake_portfolio: Any) -> None:
    portfolio = await create_portfolio(client, owner)
    content = HEADER + "2025-01-15,buy,AAPL,10,185.20,,,1,café ☕\n2025-01-16,buy,MSFT,2,410,,,,\n"
    response = await client.post(
        f"{API}/{portfolio['id']}/transactions/import",
        content=("\ufeff" + content).encode(),
        headers={**owner.headers, "content-type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    TransactionImportReport.model_validate(body)
    assert body == {"rows": 2, "imported": 2, "dry_run": False, "errors": [], "skipped": []}
    sent = fake_portfolio.last("ImportTransactions").request
    assert (sent.format, sent.dry_run, sent.content) == (pf_pb.IMPORT_FORMAT_CSV, False, content)


async def test_a_dry_run_reports_bad_rows_with_200(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any
) -> None:
    portfolio = await create_portfolio(client, owner)
    response = await client.post(
        f"{API}/{portfolio['id']}/transactions/import?format=ibkr_flex&dry_run=true",
        content=HEADER + "2025-01-15,buy,AAPL,ten,185.20,,,,\n",
        headers={**owner.headers, "content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "rows": 1,
        "imported": 0,
        "dry_run": True,
        "errors": [{"line": 2, "field": "quantity", "message": "must be a decimal number"}],
        "skipped": [],
    }
    sent = fake_portfolio.last("ImportTransactions").request
    assert (sent.format, sent.dry_run) == (pf_pb.IMPORT_FORMAT_IBKR_FLEX, True)


async def test_bad_rows_of_a_real_import_are_a_422_naming_each_row(
    client: httpx.AsyncClient, owner: Any, problem: Problem
) -> None:
    portfolio = await create_portfolio(client, owner)
    content = (
        HEADER + "2025-01-15,buy,AAPL,10,1,,,,\n2025-01-15,buy,AAPL,x,1,,,,\n2025-01-16,buy,MSFT,,1,,,,\n"
    )
    response = await client.post(
        f"{API}/{portfolio['id']}/transactions/import",
        content=content,
        headers={**owner.headers, "content-type": "text/csv"},
    )
    body = problem(response, 422)
    assert body["errors"] == [
        {"field": "line 3: quantity", "message": "must be a decimal number"},
        {"field": "line 4: quantity", "message": "must be a decimal number"},
    ]
    assert "nothing was imported" in body["detail"]


async def test_an_import_the_service_refuses_keeps_its_row_fields(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any, problem: Problem
) -> None:
    portfolio = await create_portfolio(client, owner)
    fake_portfolio.fail_next(
        "ImportTransactions",
        grpc.StatusCode.INVALID_ARGUMENT,
        "2 rows are invalid",
        violations=[
            FieldViolation("line 12: quantity", "must be greater than 0"),
            FieldViolation("content", "has no header row"),
        ],
    )
    response = await client.post(
        f"{API}/{portfolio['id']}/transactions/import",
        content="x",
        headers={**owner.headers, "content-type": "text/csv"},
    )
    assert problem(response, 422)["errors"] == [
        {"field": "line 12: quantity", "message": "must be greater than 0"},
        {"field": "body", "message": "has no header row"},
    ]


async def test_export_the_ledger_as_csv(client: httpx.AsyncClient, owner: Any) -> None:
    portfolio = await create_portfolio(client, owner, name='Tax "2025" / IRA')
    await record(client, owner, portfolio["id"])
    response = await client.get(f"{API}/{portfolio['id']}/transactions/export", headers=owner.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="Tax_2025_IRA.csv"'
    assert response.text.startswith(HEADER)
    assert "AAPL,10,185.20" in response.text


async def test_export_and_import_a_portfolio_document(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any
) -> None:
    portfolio = await create_portfolio(client, owner, name="Backup")
    exported = await client.get(f"{API}/{portfolio['id']}/export", headers=owner.headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/json"
    assert exported.headers["content-disposition"] == 'attachment; filename="Backup.json"'
    document = exported.json()
    assert document["format"] == "eqr.portfolio"
    document["transactions"] = [{"kind": "deposit", "trade_date": "2025-01-02", "amount": "10000.50"}]
    raw = json.dumps(document).encode()
    response = await client.post(
        f"{API}/import", content=raw, headers={**owner.headers, "content-type": "application/json"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    ImportedPortfolio.model_validate(body)
    assert (body["name"], body["imported_transactions"]) == ("Backup", 1)
    assert fake_portfolio.last("ImportPortfolio").request.content == raw.decode()


async def test_document_violations_name_their_place_in_the_body(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any, problem: Problem
) -> None:
    fake_portfolio.fail_next(
        "ImportPortfolio",
        grpc.StatusCode.INVALID_ARGUMENT,
        "2 fields are invalid",
        violations=[
            FieldViolation("transactions[3].quantity", "must be greater than 0"),
            FieldViolation("portfolio.name", "required"),
        ],
    )
    response = await client.post(f"{API}/import", json={"format": "eqr.portfolio"}, headers=owner.headers)
    fields = [e["field"] for e in problem(response, 422)["errors"]]
    assert fields == ["body.transactions[3].quantity", "body.portfolio.name"]


async def test_history_pages_and_parses_details(
    client: httpx.AsyncClient, owner: Any, fake_portfolio: Any
) -> None:
    portfolio = await create_portfolio(client, owner)
    page = (await client.get(f"{API}/{portfolio['id']}/history?limit=2", headers=owner.headers)).json()
    ChangePage.model_validate(page)
    assert [c["action"] for c in page["items"]] == ["portfolio.updated", "portfolio.created"]
    assert page["items"][0]["details"] == {"name": {"from": "A", "to": "B"}}
    assert (page["items"][0]["id"], page["items"][0]["occurred_at"]) == ("1000", "2025-03-14T15:42:07Z")
    assert page["next_cursor"] == "2"
    last = (await client.get(f"{API}/{portfolio['id']}/history?cursor=2", headers=owner.headers)).json()
    assert (last["items"][0]["details"], last["next_cursor"]) == ({"value": [1]}, None)
    assert fake_portfolio.last("ListChanges").request.page.page_token == "2"


async def test_a_bad_cursor_is_named_as_the_query_parameter(
    client: httpx.AsyncClient, owner: Any, problem: Problem
) -> None:
    response = await client.get(f"{API}?cursor=garbage", headers=owner.headers)
    assert problem(response, 422)["errors"] == [
        {"field": "query.cursor", "message": "is not a token from a previous page"}
    ]


async def test_the_service_being_down_is_503(
    make_gateway: Callable[..., Any], owner: Any, problem: Problem
) -> None:
    async with make_gateway(portfolio_addr="127.0.0.1:1") as (_, client):
        body = problem(await client.get(API, headers=owner.headers), 503)
        assert body["detail"] == "The portfolio service is unavailable; try again shortly."


async def test_the_ledger_routes_say_what_they_do(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    listing = paths["/api/v1/portfolios/{portfolio_id}/transactions"]["get"]["description"]
    assert listing.startswith("Newest trade date first")
    importing = paths["/api/v1/portfolios/{portfolio_id}/transactions/import"]["post"]["description"]
    assert "`PORTFOLIO_MAX_IMPORT_ROWS` (50,000)" in importing
    assert "130,000" not in importing
