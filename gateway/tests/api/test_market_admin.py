"""Market-data administration: end-of-day imports (admins only, 20 MiB bodies) and the quality report."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from eqr_gateway.schemas.market import ImportReport, QualityReport

Problem = Callable[[httpx.Response, int], dict[str, Any]]

IMPORT = "/api/v1/admin/market-data/import"
MIB = 1024 * 1024
CSV = (
    b"Date,Open,High,Low,Close,Volume\n"
    b"2025-03-12,1,2,0.5,1.5,100\n"
    b"2025-03-13,1,2,0.5,oops,100\n"
    b"2025-03-14,1,2,0.5,1.6,100\n"
)
ROW = b"2025-03-14,1,2,0.5,1.6,100\n"


def _fields(body: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["message"] for error in body["errors"]}


def _csv_of(rows: int) -> bytes:
    return b"Date,Open,High,Low,Close,Volume\n" + ROW * rows


@pytest.fixture
def admin(sign_in: Callable[..., Any]) -> Any:
    return sign_in("admin")


async def test_an_admin_imports_a_csv(client: httpx.AsyncClient, admin: Any, fake_market: Any) -> None:
    response = await client.post(
        IMPORT,
        files={"file": ("aapl.csv", CSV, "text/csv")},
        data={"symbol": "aapl", "format": "csv"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    ImportReport.model_validate(body)
    assert body == {
        "symbol": "AAPL",
        "format": "csv",
        "dry_run": False,
        "accepted": 2,
        "rejected": 1,
        "flagged": 0,
        "issues": [{"line": 3, "field": "close", "message": "not a number", "severity": "rejected"}],
        "first_date": "2025-03-12",
        "last_date": "2025-03-14",
    }
    call = fake_market.last("ImportBars")
    assert (call.request.symbol, call.request.format, call.request.content) == ("AAPL", "csv", CSV)
    assert call.request.dry_run is False
    assert call.metadata["authorization"] == f"Bearer {admin.token}"


async def test_a_dry_run_of_a_stooq_file(client: httpx.AsyncClient, admin: Any, fake_market: Any) -> None:
    response = await client.post(
        IMPORT,
        files={"file": ("aapl.us.txt", b"Date,Open,High,Low,Close,Volume\n", "text/plain")},
        data={"symbol": "AAPL", "format": "stooq", "dry_run": "true"},
        headers=admin.headers,
    )
    body = response.json()
    assert (body["format"], body["dry_run"], body["accepted"]) == ("stooq", True, 0)
    assert (body["first_date"], body["last_date"]) == (None, None)
    call = fake_market.last("ImportBars")
    assert (call.request.format, call.request.dry_run) == ("stooq", True)


@pytest.mark.parametrize("role", ["viewer", "analyst"])
async def test_only_admins_import(
    client: httpx.AsyncClient, sign_in: Callable[..., Any], fake_market: Any, problem: Problem, role: str
) -> None:
    calls = fake_market.count("ImportBars")
    response = await client.post(
        IMPORT, files={"file": ("a.csv", CSV)}, data={"symbol": "AAPL"}, headers=sign_in(role).headers
    )
    assert problem(response, 403)["detail"] == "This operation needs the admin role."
    problem(await client.get("/api/v1/admin/market-data/quality", headers=sign_in(role).headers), 403)
    assert fake_market.count("ImportBars") == calls


async def test_anonymous_imports_are_401(client: httpx.AsyncClient, problem: Problem) -> None:
    problem(await client.post(IMPORT, files={"file": ("a.csv", CSV)}, data={"symbol": "AAPL"}), 401)


@pytest.mark.parametrize(
    ("files", "data", "fields"),
    [
        ({}, {"symbol": "AAPL"}, {"body.file"}),
        ({"file": ("a.csv", CSV)}, {}, {"body.symbol"}),
        ({"file": ("a.csv", CSV)}, {"symbol": "../etc"}, {"body.symbol"}),
        ({"file": ("a.csv", CSV)}, {"symbol": "AAPL", "format": "xlsx"}, {"body.format"}),
        ({"file": ("a.csv", CSV)}, {"symbol": "AAPL", "dry_run": "perhaps"}, {"body.dry_run"}),
    ],
)
async def test_bad_import_forms_name_the_field(
    client: httpx.AsyncClient,
    admin: Any,
    problem: Problem,
    files: dict[str, Any],
    data: dict[str, str],
    fields: set[str],
) -> None:
    response = await client.post(
        IMPORT, files=files or {"other": ("x", b"x")}, data=data, headers=admin.headers
    )
    assert set(_fields(problem(response, 422))) == fields


async def test_a_json_body_is_not_an_upload(client: httpx.AsyncClient, admin: Any, problem: Problem) -> None:
    response = await client.post(IMPORT, json={"symbol": "AAPL", "file": "..."}, headers=admin.headers)
    assert set(_fields(problem(response, 422))) == {"body.file", "body.symbol"}


async def test_files_between_1_and_20_mib_are_accepted_on_the_import_route_only(
    client: httpx.AsyncClient, admin: Any, fake_market: Any, problem: Problem
) -> None:
    rows = 19 * MIB // len(ROW)
    content = _csv_of(rows)
    response = await client.post(
        IMPORT, files={"file": ("big.csv", content)}, data={"symbol": "AAPL"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == rows
    assert fake_market.last("ImportBars").request.content == content
    elsewhere = await client.post(
        "/api/v1/admin/market-data/quality", files={"file": ("big.csv", content)}, headers=admin.headers
    )
    assert "1048576" in problem(elsewhere, 413)["detail"]


async def test_above_20_mib_is_413(
    client: httpx.AsyncClient, admin: Any, fake_market: Any, problem: Problem
) -> None:
    calls = fake_market.count("ImportBars")
    response = await client.post(
        IMPORT,
        files={"file": ("huge.csv", _csv_of(21 * MIB // len(ROW)))},
        data={"symbol": "AAPL"},
        headers=admin.headers,
    )
    assert "20971520" in problem(response, 413)["detail"]
    assert fake_market.count("ImportBars") == calls


async def test_a_streamed_upload_is_cut_off_at_20_mib(
    client: httpx.AsyncClient, admin: Any, fake_market: Any, problem: Problem
) -> None:
    boundary = "eqr-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="symbol"\r\n\r\nAAPL\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()

    async def chunks() -> AsyncIterator[bytes]:
        yield head
        for _ in range(25):
            yield ROW * (MIB // len(ROW))

    calls = fake_market.count("ImportBars")
    response = await client.post(
        IMPORT,
        content=chunks(),
        headers={**admin.headers, "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "content-length" not in response.request.headers
    problem(response, 413)
    assert fake_market.count("ImportBars") == calls


async def test_the_quality_report(client: httpx.AsyncClient, admin: Any, fake_market: Any) -> None:
    response = await client.get("/api/v1/admin/market-data/quality?symbol=aapl", headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    QualityReport.model_validate(body)
    assert body["symbol"] == "AAPL"
    assert body["counts"] == [
        {"check": "close_outside_range", "severity": "rejected", "count": 3},
        {"check": "outlier_jump", "severity": "flagged", "count": 5},
    ]
    assert body["recent"][0]["line"] == 42
    assert fake_market.last("GetQualityReport").request.symbol == "AAPL"


async def test_the_quality_report_of_every_symbol(
    client: httpx.AsyncClient, admin: Any, fake_market: Any
) -> None:
    body = (await client.get("/api/v1/admin/market-data/quality", headers=admin.headers)).json()
    assert body["symbol"] is None
    assert fake_market.last("GetQualityReport").request.symbol == ""


async def test_the_quality_report_checks_the_symbol(
    client: httpx.AsyncClient, admin: Any, problem: Problem
) -> None:
    response = await client.get("/api/v1/admin/market-data/quality?symbol=..%2F", headers=admin.headers)
    assert list(_fields(problem(response, 422))) == ["query.symbol"]
