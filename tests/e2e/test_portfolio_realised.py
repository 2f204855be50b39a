"""The realised-gains report through the gateway on the launcher's fleet: FIFO lots and
average-cost sales with their terms, a closed-out position still reported, an option contract's
multiplier, paging, filters, who may read it, and hostile input."""

from __future__ import annotations

import base64
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from eqr_testing.api import Account, assert_problem, register_and_login

D = Decimal
TODAY = date.today()
OPENED, ADDED, SOLD, CLOSED_OUT = (TODAY - timedelta(days=n) for n in (500, 400, 100, 10))
_FRIDAY = TODAY + timedelta(days=300)
EXPIRY = _FRIDAY + timedelta(days=(4 - _FRIDAY.weekday()) % 7)
CALL = f"AAPL{EXPIRY:%y%m%d}C00250000"


@pytest.fixture(scope="module")
def analyst(api: httpx.Client) -> Account:
    return register_and_login(api, "realised-analyst")


@pytest.fixture(scope="module")
def colleague(api: httpx.Client) -> Account:
    return register_and_login(api, "realised-colleague")


def _create(api: httpx.Client, who: Account, cost_method: str) -> str:
    body = {"name": f"Realised {uuid.uuid4().hex[:6]}", "cost_method": cost_method}
    response = api.post("/portfolios", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    portfolio_id: str = response.json()["id"]
    return portfolio_id


def _trade(
    api: httpx.Client, who: Account, pid: str, kind: str, day: date, symbol: str, *figures: str
) -> None:
    quantity, price, commission = (*figures, "0")[:3]
    entry = {
        "kind": kind,
        "trade_date": str(day),
        "symbol": symbol,
        "quantity": quantity,
        "price": price,
        "commission": commission,
    }
    response = api.post(f"/portfolios/{pid}/transactions", json=entry, headers=who.headers)
    assert response.status_code == 201, response.text


def _ledger(api: httpx.Client, who: Account, pid: str) -> None:
    """AAPL: two buys, then a sale across both lots; KO: a round trip (closed out); a call: two
    contracts bought, one sold."""
    _trade(api, who, pid, "buy", OPENED, "AAPL", "10", "100", "5")  # cost 1005
    _trade(api, who, pid, "buy", ADDED, "AAPL", "10", "120", "5")  # cost 1205
    _trade(api, who, pid, "buy", ADDED, "KO", "10", "60")  # cost 600
    _trade(api, who, pid, "sell", SOLD, "AAPL", "15", "130", "6")  # proceeds 1944
    _trade(api, who, pid, "buy", SOLD, CALL, "2", "3.50", "1.30")  # 2 x 3.50 x 100 + 1.30 = 701.30
    _trade(api, who, pid, "sell", CLOSED_OUT, "KO", "10", "65")  # proceeds 650
    _trade(api, who, pid, "sell", CLOSED_OUT, CALL, "1", "5", "0.65")  # 1 x 5 x 100 - 0.65 = 499.35


def _report(api: httpx.Client, who: Account, pid: str, **params: object) -> dict[str, Any]:
    response = api.get(f"/portfolios/{pid}/realized-gains", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def _rows(report: dict[str, Any]) -> list[tuple[object, ...]]:
    return [
        (
            lot["symbol"],
            Decimal(lot["quantity"]),
            lot["opened_on"],
            lot["closed_on"],
            Decimal(lot["cost_basis"]),
            Decimal(lot["proceeds"]),
            Decimal(lot["commissions"]),
            Decimal(lot["realized_pnl"]),
            lot["holding_days"],
            lot["long_term"],
            lot["multiplier"],
        )
        for lot in report["items"]
    ]


def _holdings_realised(api: httpx.Client, who: Account, pid: str) -> Decimal:
    response = api.get(f"/portfolios/{pid}/holdings", headers=who.headers)
    assert response.status_code == 200, response.text
    return Decimal(response.json()["totals"]["realized_pnl"])


def test_fifo_lots_with_terms_a_closed_out_position_and_an_option(
    api: httpx.Client, analyst: Account
) -> None:
    pid = _create(api, analyst, "fifo")
    _ledger(api, analyst, pid)
    report = _report(api, analyst, pid)

    assert (report["cost_method"], report["currency"], report["next_cursor"]) == ("fifo", "USD", None)
    # The sale of 15 AAPL closes the first lot (10/15 of 1944 = 1296; commission 5 + 4; held 400
    # days: long-term) and half the second (602.5 against 648; commission 2.5 + 2: short-term).
    # KO's round trip: 650 - 600. The call: half of 701.30 against 499.35, times 100 already.
    assert _rows(report) == [
        ("AAPL", 10, str(OPENED), str(SOLD), 1005, 1296, 9, 291, 400, True, 1),
        ("AAPL", 5, str(ADDED), str(SOLD), D("602.5"), 648, D("4.5"), D("45.5"), 300, False, 1),
        ("KO", 10, str(ADDED), str(CLOSED_OUT), 600, 650, 0, 50, 390, True, 1),
        (
            CALL,
            1,
            str(SOLD),
            str(CLOSED_OUT),
            D("350.65"),
            D("499.35"),
            D("1.30"),
            D("148.70"),
            90,
            False,
            100,
        ),
    ]
    totals = report["totals"]
    # 291 + 45.5 + 50 + 148.70 = 535.20: what the holdings report as realised.
    assert Decimal(totals["realized_pnl"]) == Decimal("535.20") == _holdings_realised(api, analyst, pid)
    assert (Decimal(totals["long_term_pnl"]), Decimal(totals["short_term_pnl"])) == (341, Decimal("194.20"))
    assert totals["lots"] == 4
    # KO was sold out: it is no longer a holding, but its realised P&L is reported here.
    holdings = api.get(f"/portfolios/{pid}/holdings", headers=analyst.headers).json()["holdings"]
    assert "KO" not in {h["symbol"] for h in holdings}
    assert [(s["symbol"], s["held"], Decimal(s["realized_pnl"])) for s in report["by_symbol"]] == [
        ("AAPL", True, Decimal("336.5")),
        (CALL, True, Decimal("148.70")),
        ("KO", False, Decimal(50)),
    ]


def test_average_cost_sales_at_the_pooled_cost(api: httpx.Client, analyst: Account) -> None:
    pid = _create(api, analyst, "average")
    _ledger(api, analyst, pid)
    report = _report(api, analyst, pid, symbol="aapl")

    # The pool: 20 shares costing 2210, opened with the first buy. The sale takes 15/20 of it,
    # 1657.5 (commission 7.5 + 6), and is long-term, measured from the pool's opening.
    assert _rows(report) == [
        ("AAPL", 15, str(OPENED), str(SOLD), D("1657.5"), 1944, D("13.5"), D("286.5"), 400, True, 1)
    ]
    assert [s["symbol"] for s in report["by_symbol"]] == ["AAPL"]
    everything = _report(api, analyst, pid)
    assert Decimal(everything["totals"]["realized_pnl"]) == _holdings_realised(api, analyst, pid)


def test_pages_and_filters(api: httpx.Client, analyst: Account) -> None:
    pid = _create(api, analyst, "fifo")
    _ledger(api, analyst, pid)
    whole = _report(api, analyst, pid)

    items, cursor, pages = [], None, 0
    while True:
        page = _report(api, analyst, pid, limit=1, **({"cursor": cursor} if cursor else {}))
        assert page["totals"] == whole["totals"]
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert (pages, items) == (4, whole["items"])

    recent = _report(api, analyst, pid, **{"from": str(CLOSED_OUT)})
    assert [lot["symbol"] for lot in recent["items"]] == ["KO", CALL]
    assert Decimal(recent["totals"]["realized_pnl"]) == Decimal("198.70")
    earlier = _report(api, analyst, pid, **{"from": str(OPENED), "to": str(CLOSED_OUT - timedelta(days=1))})
    assert [lot["symbol"] for lot in earlier["items"]] == ["AAPL", "AAPL"]
    ko = _report(api, analyst, pid, symbol="KO")
    assert [(s["symbol"], s["held"]) for s in ko["by_symbol"]] == [("KO", False)]
    assert _report(api, analyst, pid, symbol="MSFT")["items"] == []


def test_who_may_read_it_and_hostile_input(api: httpx.Client, analyst: Account, colleague: Account) -> None:
    pid = _create(api, analyst, "fifo")
    _ledger(api, analyst, pid)
    url = f"/portfolios/{pid}/realized-gains"

    # Another user's portfolio does not exist for them, nor does an id nobody has.
    assert_problem(api.get(url, headers=colleague.headers), 404)
    assert_problem(api.get(f"/portfolios/{uuid.uuid4()}/realized-gains", headers=analyst.headers), 404)
    shared = api.post(
        f"/portfolios/{pid}/shares",
        json={"email": colleague.email, "role": "viewer"},
        headers=analyst.headers,
    )
    assert shared.status_code == 201, shared.text
    assert _report(api, colleague, pid)["totals"] == _report(api, analyst, pid)["totals"]

    for params, field in [
        ({"from": "2025-02-30"}, "query.from"),
        ({"to": "tomorrow"}, "query.to"),
        ({"from": str(TODAY), "to": str(OPENED)}, "query.from"),
        ({"symbol": "AAPL;DROP"}, "query.symbol"),
        ({"symbol": "A" * 40}, "query.symbol"),
        ({"limit": "0"}, "query.limit"),
        ({"cursor": "not-a-cursor"}, "query.cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'["2025-01-01",1]').decode()}, "query.cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'["2025-02-30",1,0]').decode()}, "query.cursor"),
    ]:
        assert_problem(api.get(url, params=params, headers=analyst.headers), 422, field)
    assert_problem(
        api.get("/portfolios/not-a-uuid/realized-gains", headers=analyst.headers), 422, "portfolio_id"
    )
    assert_problem(api.get(url), 401)
