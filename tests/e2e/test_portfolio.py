"""Portfolios through the gateway on the launcher's fleet, as the dashboard and a broker
export drive them: the ledger's rules, valuation, performance, sharing and hostile input."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from eqr_testing.api import Account, assert_problem, register_and_login

TODAY = date.today()
LAST_YEAR = TODAY - timedelta(days=365)


@pytest.fixture(scope="module")
def owner(api: httpx.Client) -> Account:
    return register_and_login(api, "pm")


@pytest.fixture(scope="module")
def colleague(api: httpx.Client) -> Account:
    return register_and_login(api, "colleague")


def _create(api: httpx.Client, who: Account, **settings: object) -> dict[str, object]:
    body = {"name": f"Core {uuid.uuid4().hex[:6]}", "benchmark": "^GSPC", **settings}
    response = api.post("/portfolios", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def _record(api: httpx.Client, who: Account, portfolio_id: object, **entry: object) -> httpx.Response:
    return api.post(f"/portfolios/{portfolio_id}/transactions", json=entry, headers=who.headers)


def _holdings(api: httpx.Client, who: Account, portfolio_id: object, **params: object) -> dict[str, object]:
    response = api.get(f"/portfolios/{portfolio_id}/holdings", headers=who.headers, params=params)
    assert response.status_code == 200, response.text
    valuation: dict[str, object] = response.json()
    return valuation


def test_the_ledger_drives_holdings_and_refuses_what_it_cannot_hold(
    api: httpx.Client, owner: Account
) -> None:
    portfolio = _create(api, owner, cash_mode="strict")
    pid = portfolio["id"]
    assert (
        _record(api, owner, pid, kind="deposit", trade_date=str(LAST_YEAR), amount="10000").status_code == 201
    )
    buy = _record(
        api,
        owner,
        pid,
        kind="buy",
        trade_date=str(LAST_YEAR),
        symbol="aapl",
        quantity="10",
        price="150.25",
        commission="1",
    )
    assert buy.status_code == 201, buy.text
    assert buy.json()["symbol"] == "AAPL"
    assert buy.json()["price"] == "150.25"
    # Selling more than is held, and buying beyond a strict portfolio's cash, are refused.
    assert_problem(
        _record(api, owner, pid, kind="sell", trade_date=str(TODAY), symbol="AAPL", quantity="11", price="1"),
        422,
        "quantity",
    )
    assert_problem(
        _record(
            api, owner, pid, kind="buy", trade_date=str(TODAY), symbol="MSFT", quantity="1000", price="400"
        ),
        422,
        "quantity",
    )

    valuation = _holdings(api, owner, pid, include_lots="true")
    holdings = valuation["holdings"]
    assert isinstance(holdings, list)
    cash = next(h for h in holdings if h["is_cash"])
    stock = next(h for h in holdings if h["symbol"] == "AAPL")
    assert Decimal(cash["market_value"]) == Decimal("10000") - Decimal("1502.5") - Decimal("1")
    assert Decimal(stock["cost_basis"]) == Decimal("1503.5")
    assert stock["lots"][0]["quantity"] == "10"
    # A portfolio's value is its cash plus the sum of its lots at the price, to the cent.
    totals = valuation["totals"]
    assert isinstance(totals, dict)
    lots_value = sum(Decimal(lot["quantity"]) * Decimal(stock["price"]) for lot in stock["lots"])
    assert Decimal(totals["market_value"]) == Decimal(cash["market_value"]) + lots_value


def test_idempotency_key_creates_one_transaction(api: httpx.Client, owner: Account) -> None:
    pid = _create(api, owner)["id"]
    key = {"Idempotency-Key": uuid.uuid4().hex, **owner.headers}
    entry = {"kind": "deposit", "trade_date": str(TODAY), "amount": "500"}
    first = api.post(f"/portfolios/{pid}/transactions", json=entry, headers=key)
    again = api.post(f"/portfolios/{pid}/transactions", json=entry, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    listed = api.get(f"/portfolios/{pid}/transactions", headers=owner.headers).json()["items"]
    assert len(listed) == 1


def test_delete_restore_and_the_audit_trail(api: httpx.Client, owner: Account) -> None:
    pid = _create(api, owner)["id"]
    buy = _record(
        api, owner, pid, kind="buy", trade_date=str(LAST_YEAR), symbol="KO", quantity="5", price="60"
    ).json()
    sell = _record(
        api, owner, pid, kind="sell", trade_date=str(TODAY), symbol="KO", quantity="5", price="62"
    ).json()
    # Deleting the buy would leave the sell without shares: refused, nothing changes.
    assert_problem(api.delete(f"/portfolios/{pid}/transactions/{buy['id']}", headers=owner.headers), 422)
    assert (
        api.delete(f"/portfolios/{pid}/transactions/{sell['id']}", headers=owner.headers).status_code == 204
    )
    assert any(h["symbol"] == "KO" for h in _holdings(api, owner, pid)["holdings"])  # type: ignore[union-attr]
    restored = api.post(f"/portfolios/{pid}/transactions/{sell['id']}/restore", headers=owner.headers)
    assert restored.status_code == 200, restored.text
    history = api.get(f"/portfolios/{pid}/history", headers=owner.headers).json()["items"]
    actions = [c["action"] for c in history]
    assert actions[:3] == ["transaction.restored", "transaction.deleted", "transaction.recorded"]
    assert all(c["actor_id"] == owner.user_id for c in history)
    # The holdings as of last year still show the position.
    past = _holdings(api, owner, pid, as_of=str(LAST_YEAR + timedelta(days=1)))
    assert any(h["symbol"] == "KO" for h in past["holdings"])  # type: ignore[union-attr]


def test_sharing_and_other_users_ids(api: httpx.Client, owner: Account, colleague: Account) -> None:
    pid = _create(api, owner)["id"]
    _record(api, owner, pid, kind="deposit", trade_date=str(TODAY), amount="100")
    routes = [
        ("GET", f"/portfolios/{pid}"),
        ("GET", f"/portfolios/{pid}/holdings"),
        ("GET", f"/portfolios/{pid}/transactions"),
        ("GET", f"/portfolios/{pid}/performance"),
        ("GET", f"/portfolios/{pid}/risk"),
        ("GET", f"/portfolios/{pid}/history"),
        ("GET", f"/portfolios/{pid}/shares"),
        ("GET", f"/portfolios/{pid}/alerts"),
        ("GET", f"/portfolios/{pid}/export"),
        ("GET", f"/portfolios/{pid}/transactions/export"),
        ("DELETE", f"/portfolios/{pid}"),
    ]
    for method, path in routes:  # another user's portfolio does not exist for them
        assert_problem(api.request(method, path, headers=colleague.headers), 404)
    assert_problem(_record(api, colleague, pid, kind="deposit", trade_date=str(TODAY), amount="1"), 404)
    assert pid not in [p["id"] for p in api.get("/portfolios", headers=colleague.headers).json()["items"]]

    shared = api.post(
        f"/portfolios/{pid}/shares", json={"email": colleague.email, "role": "viewer"}, headers=owner.headers
    )
    assert shared.status_code == 201, shared.text
    seen = api.get(f"/portfolios/{pid}", headers=colleague.headers)
    assert seen.status_code == 200
    assert seen.json()["access"] == "viewer"
    assert pid in [p["id"] for p in api.get("/portfolios", headers=colleague.headers).json()["items"]]
    assert_problem(_record(api, colleague, pid, kind="deposit", trade_date=str(TODAY), amount="1"), 403)
    assert_problem(api.delete(f"/portfolios/{pid}", headers=colleague.headers), 403)
    assert_problem(
        api.post(
            f"/portfolios/{pid}/shares",
            json={"email": "nobody@example.com", "role": "viewer"},
            headers=owner.headers,
        ),
        422,
        "email",
    )
    revoked = api.delete(f"/portfolios/{pid}/shares/{colleague.user_id}", headers=owner.headers)
    assert revoked.status_code == 204
    assert_problem(api.get(f"/portfolios/{pid}", headers=colleague.headers), 404)


CSV_GOOD = (
    "date,type,symbol,quantity,price,amount,commission,notes\r\n"
    f"{LAST_YEAR},deposit,,,,5000,,seed money\r\n"
    f"{LAST_YEAR},buy,MSFT,5,300,,1,\r\n"
    f"{LAST_YEAR + timedelta(days=30)},dividend,MSFT,,,3.75,,\r\n"
)


def _import(api: httpx.Client, who: Account, pid: object, content: str, **params: object) -> httpx.Response:
    return api.post(
        f"/portfolios/{pid}/transactions/import",
        params={"format": "csv", **params},
        content=content.encode(),
        headers={**who.headers, "Content-Type": "text/csv"},
    )


def test_csv_import_is_all_or_nothing_with_a_dry_run(api: httpx.Client, owner: Account) -> None:
    pid = _create(api, owner)["id"]
    bad = CSV_GOOD + f'2024-02-30,buy,AAPL,-3,10,,,\r\n{TODAY},buy,=HYPERLINK("x"),1,1,,,\r\n'
    report = _import(api, owner, pid, bad, dry_run="true")
    assert report.status_code == 200, report.text
    errors = report.json()["errors"]
    assert {e["field"] for e in errors} >= {"date", "quantity", "symbol"}
    assert_problem(_import(api, owner, pid, bad), 422)
    assert api.get(f"/portfolios/{pid}/transactions", headers=owner.headers).json()["items"] == []
    dry = _import(api, owner, pid, CSV_GOOD, dry_run="true").json()
    assert (dry["rows"], dry["imported"], dry["errors"]) == (3, 0, [])
    done = _import(api, owner, pid, CSV_GOOD)
    assert done.status_code == 200, done.text
    assert done.json()["imported"] == 3
    assert_problem(_import(api, owner, pid, "when,what\r\n1,2\r\n"), 422)


def test_a_hundred_thousand_rows_are_refused_whole(api: httpx.Client, owner: Account) -> None:
    pid = _create(api, owner)["id"]
    rows = "".join(f"{LAST_YEAR},deposit,,,,1,,\r\n" for _ in range(100_000))
    assert_problem(
        _import(api, owner, pid, "date,type,symbol,quantity,price,amount,commission,notes\r\n" + rows), 422
    )
    assert api.get(f"/portfolios/{pid}/transactions", headers=owner.headers).json()["items"] == []


def test_export_then_import_reproduces_the_portfolio(api: httpx.Client, owner: Account) -> None:
    pid = _create(api, owner, cost_method="average")["id"]
    assert _import(api, owner, pid, CSV_GOOD).status_code == 200
    document = api.get(f"/portfolios/{pid}/export", headers=owner.headers)
    assert document.status_code == 200, document.text
    copy = api.post("/portfolios/import", json=document.json(), headers=owner.headers)
    assert copy.status_code == 201, copy.text
    assert copy.json()["cost_method"] == "average"

    def ledger(portfolio_id: object) -> list[tuple[object, ...]]:
        items = api.get(f"/portfolios/{portfolio_id}/transactions", headers=owner.headers).json()["items"]
        keys = ("kind", "trade_date", "symbol", "quantity", "price", "amount", "ratio", "commission", "notes")
        return sorted(tuple(t[k] for k in keys) for t in items)

    assert ledger(copy.json()["id"]) == ledger(pid)
    csv_export = api.get(f"/portfolios/{pid}/transactions/export", headers=owner.headers)
    assert csv_export.status_code == 200
    assert csv_export.headers["content-type"].startswith("text/csv")


def test_performance_and_risk_from_the_value_series(api: httpx.Client, owner: Account) -> None:
    pid = _create(api, owner)["id"]
    assert _import(api, owner, pid, CSV_GOOD).status_code == 200
    performance = api.get(f"/portfolios/{pid}/performance", headers=owner.headers)
    assert performance.status_code == 200, performance.text
    body = performance.json()
    periods = {p["period"]: p for p in body["periods"]}
    assert periods["1Y"]["time_weighted"] is not None
    assert periods["5Y"]["time_weighted"] is None  # the history is shorter: not available
    assert body["series"]
    assert body["calendar"]
    risk = api.get(f"/portfolios/{pid}/risk", headers=owner.headers)
    assert risk.status_code == 200, risk.text
    assert risk.json()["volatility"] > 0
    assert_problem(
        api.get(
            f"/portfolios/{pid}/performance",
            params={"from": str(TODAY), "to": str(LAST_YEAR)},
            headers=owner.headers,
        ),
        422,
    )


def test_templates_rebalancing_and_alerts(api: httpx.Client, owner: Account) -> None:
    templates = api.get("/portfolio-templates", headers=owner.headers)
    assert templates.status_code == 200
    assert {"builtin:sixty-forty", "builtin:sp500-sectors"} <= {t["id"] for t in templates.json()["items"]}
    made = api.post(
        "/portfolios/from-template",
        json={
            "template_id": "builtin:sp500-sectors",
            "portfolio": {"name": "Sectors"},
            "initial_cash": "100000",
        },
        headers=owner.headers,
    )
    assert made.status_code == 201, made.text
    pid = made.json()["portfolio"]["id"]
    proposal = api.post(
        f"/portfolios/{pid}/rebalance", json={"template_id": "builtin:equal-sectors"}, headers=owner.headers
    )
    assert proposal.status_code == 200, proposal.text
    trades = proposal.json()["trades"]
    assert trades
    applied = api.post(f"/portfolios/{pid}/rebalance/apply", json={"trades": trades}, headers=owner.headers)
    assert applied.status_code == 201, applied.text
    alert = api.post(
        f"/portfolios/{pid}/alerts",
        json={"kind": "price_above", "symbol": "XLK", "threshold": "100000"},
        headers=owner.headers,
    )
    assert alert.status_code == 201, alert.text
    assert_problem(
        api.post(
            f"/portfolios/{pid}/alerts",
            json={"kind": "price_above", "symbol": "NOPE1", "threshold": "1"},
            headers=owner.headers,
        ),
        422,
        "symbol",
    )
    listed = api.get(f"/portfolios/{pid}/alerts", headers=owner.headers).json()["items"]
    assert [a["id"] for a in listed] == [alert.json()["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"kind": "buy", "trade_date": str(TODAY), "symbol": "AAPL", "quantity": "abc", "price": "1"},
            "quantity",
        ),
        (
            {"kind": "buy", "trade_date": "2024-13-01", "symbol": "AAPL", "quantity": "1", "price": "1"},
            "trade_date",
        ),
        ({"kind": "teleport", "trade_date": str(TODAY)}, "kind"),
        (
            {"kind": "buy", "trade_date": str(TODAY), "symbol": "AAPL", "quantity": True, "price": "1"},
            "quantity",
        ),
        ({"kind": "deposit", "trade_date": str(TODAY), "amount": "1" * 40}, "amount"),
        ({"kind": "deposit", "trade_date": str(TODAY), "amount": "10", "notes": "x" * 5000}, "notes"),
    ],
)
def test_hostile_transactions_name_the_field(
    api: httpx.Client, owner: Account, body: dict[str, object], field: str
) -> None:
    pid = _create(api, owner)["id"]
    assert_problem(_record(api, owner, pid, **body), 422, field)


def test_malformed_requests_and_tokens(api: httpx.Client, owner: Account) -> None:
    pid = _create(api, owner)["id"]
    broken = api.post(
        f"/portfolios/{pid}/transactions",
        content=b'{"kind": "buy",',
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert broken.status_code in (400, 422)
    assert_problem(api.get("/portfolios/not-a-uuid", headers=owner.headers), 422, "portfolio_id")
    assert_problem(api.get(f"/portfolios/{uuid.uuid4()}", headers=owner.headers), 404)
    assert_problem(api.get("/portfolios"), 401)
    tampered = owner.access_token[:-4] + ("AAAA" if not owner.access_token.endswith("AAAA") else "BBBB")
    assert_problem(api.get("/portfolios", headers={"Authorization": f"Bearer {tampered}"}), 401)


def test_the_remaining_routes_as_the_dashboard_uses_them(
    api: httpx.Client, owner: Account, colleague: Account
) -> None:
    pid = _create(api, owner)["id"]
    renamed = api.patch(
        f"/portfolios/{pid}", json={"name": "Renamed", "benchmark": "SPY"}, headers=owner.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["benchmark"]) == ("Renamed", "SPY")
    assert api.get(f"/portfolios/{pid}", headers=owner.headers).json()["name"] == "Renamed"

    added = api.post(
        f"/portfolios/{pid}/holdings",
        json={"symbol": "JPM", "quantity": "10", "price": "200", "trade_date": str(LAST_YEAR)},
        headers=owner.headers,
    )
    assert added.status_code == 201, added.text
    entry = added.json()["transactions"][0]
    assert (entry["kind"], entry["quantity"]) == ("buy", "10")
    resized = api.put(
        f"/portfolios/{pid}/holdings/JPM", json={"quantity": "4", "price": "210"}, headers=owner.headers
    )
    assert resized.status_code == 200, resized.text
    assert [(t["kind"], t["quantity"]) for t in resized.json()["transactions"]] == [("sell", "6")]
    corrected = api.put(
        f"/portfolios/{pid}/transactions/{entry['id']}",
        json={
            "kind": "buy",
            "trade_date": str(LAST_YEAR),
            "symbol": "JPM",
            "quantity": "12",
            "price": "199.5",
        },
        headers=owner.headers,
    )
    assert corrected.status_code == 200, corrected.text
    jpm = next(h for h in _holdings(api, owner, pid)["holdings"] if h["symbol"] == "JPM")  # type: ignore[union-attr]
    assert jpm["quantity"] == "6"
    removed = api.delete(f"/portfolios/{pid}/holdings/JPM", params={"price": "205"}, headers=owner.headers)
    assert removed.status_code == 200, removed.text
    assert all(h["is_cash"] for h in _holdings(api, owner, pid)["holdings"])  # type: ignore[union-attr]

    shared = api.post(
        f"/portfolios/{pid}/shares", json={"email": colleague.email, "role": "editor"}, headers=owner.headers
    )
    assert shared.status_code == 201
    assert [
        s["role"] for s in api.get(f"/portfolios/{pid}/shares", headers=owner.headers).json()["items"]
    ] == ["editor"]
    assert _record(api, colleague, pid, kind="deposit", trade_date=str(TODAY), amount="5").status_code == 201
    assert (
        api.delete(f"/portfolios/{pid}/shares/{colleague.user_id}", headers=colleague.headers).status_code
        == 204
    )

    saved = api.post(
        "/portfolio-templates",
        json={
            "name": "Two banks",
            "weights": [{"symbol": "JPM", "weight": "0.5"}, {"symbol": "BAC", "weight": "0.5"}],
        },
        headers=owner.headers,
    )
    assert saved.status_code == 201, saved.text
    assert saved.json()["id"] in [
        t["id"] for t in api.get("/portfolio-templates", headers=owner.headers).json()["items"]
    ]
    assert saved.json()["id"] not in [
        t["id"] for t in api.get("/portfolio-templates", headers=colleague.headers).json()["items"]
    ]
    assert_problem(api.delete(f"/portfolio-templates/{saved.json()['id']}", headers=colleague.headers), 404)
    assert api.delete(f"/portfolio-templates/{saved.json()['id']}", headers=owner.headers).status_code == 204
    assert_problem(api.delete("/portfolio-templates/builtin:sixty-forty", headers=owner.headers), 422)

    assert api.delete(f"/portfolios/{pid}", headers=owner.headers).status_code == 204
    assert_problem(api.get(f"/portfolios/{pid}", headers=owner.headers), 404)


def test_a_formula_in_notes_is_neutralised_on_export(api: httpx.Client, owner: Account) -> None:
    pid = _create(api, owner)["id"]
    formula = "=cmd|' /C calc'!A0"
    recorded = _record(api, owner, pid, kind="deposit", trade_date=str(TODAY), amount="10", notes=formula)
    assert recorded.status_code == 201, recorded.text
    exported = api.get(f"/portfolios/{pid}/transactions/export", headers=owner.headers).text
    assert "'" + formula in exported
    assert "," + formula not in exported


def test_a_price_alert_fires_once_per_crossing(api: httpx.Client, owner: Account) -> None:
    pid = _create(api, owner)["id"]
    price = Decimal(api.get("/stocks/AAPL/quote", headers=owner.headers).json()["price"])
    alert = api.post(
        f"/portfolios/{pid}/alerts",
        json={
            "kind": "price_above",
            "symbol": "AAPL",
            "threshold": str((price / 2).quantize(Decimal("0.01"))),
        },
        headers=owner.headers,
    )
    assert alert.status_code == 201, alert.text
    deadline = time.monotonic() + 30
    triggers: list[dict[str, object]] = []
    while time.monotonic() < deadline and not triggers:
        time.sleep(0.5)
        triggers = api.get(f"/portfolios/{pid}/alerts/triggers", headers=owner.headers).json()["items"]
    assert len(triggers) == 1, "the alert did not fire on the live quotes"
    assert triggers[0]["alert_id"] == alert.json()["id"]
    time.sleep(3)  # several more ticks above the threshold: still one trigger
    assert len(api.get(f"/portfolios/{pid}/alerts/triggers", headers=owner.headers).json()["items"]) == 1
    assert (
        api.delete(f"/portfolios/{pid}/alerts/{alert.json()['id']}", headers=owner.headers).status_code == 204
    )


def test_a_back_dated_template_portfolio_buys_at_that_days_closes(api: httpx.Client, owner: Account) -> None:
    day = "2021-03-17"  # a Wednesday
    made = api.post(
        "/portfolios/from-template",
        json={
            "template_id": "builtin:sixty-forty",
            "portfolio": {"name": "Back-dated"},
            "initial_cash": "100000",
            "trade_date": day,
        },
        headers=owner.headers,
    )
    assert made.status_code == 201, made.text
    buys = [t for t in made.json()["transactions"] if t["kind"] == "buy"]
    assert buys
    for buy in buys:
        assert buy["trade_date"] == day
        history = api.get(
            f"/stocks/{buy['symbol']}/history",
            params={"from": day, "to": day, "interval": "1d", "adjusted": "false"},
            headers=owner.headers,
        )
        assert history.status_code == 200, history.text
        (bar,) = history.json()["bars"]
        assert Decimal(buy["price"]) == Decimal(str(bar["c"]))


@pytest.mark.parametrize(
    ("route", "params", "field"),
    [
        ("holdings", {"as_of": "0001-01-01"}, "query.as_of"),
        ("performance", {"from": "0001-01-01"}, "query.from"),
        ("risk", {"from": "0001-01-01"}, "query.from"),
        ("performance", {"to": "1899-12-31"}, "query.to"),
        ("realized-gains", {"from": "0001-01-01"}, "query.from"),
    ],
)
def test_dates_before_the_calendar_are_422s_naming_the_field(
    api: httpx.Client, owner: Account, route: str, params: dict[str, str], field: str
) -> None:
    pid = _create(api, owner)["id"]
    assert (
        _record(api, owner, pid, kind="deposit", trade_date=str(LAST_YEAR), amount="1000").status_code == 201
    )
    assert_problem(api.get(f"/portfolios/{pid}/{route}", params=params, headers=owner.headers), 422, field)


def test_a_template_dated_before_the_calendar_names_trade_date(api: httpx.Client, owner: Account) -> None:
    body = {
        "template_id": "builtin:sixty-forty",
        "portfolio": {"name": "Too old"},
        "initial_cash": "1000",
        "trade_date": "1850-01-02",
    }
    assert_problem(api.post("/portfolios/from-template", json=body, headers=owner.headers), 422, "trade_date")


def test_an_imported_document_the_ledger_refuses_names_the_entry(api: httpx.Client, owner: Account) -> None:
    pid = _create(api, owner)["id"]
    document = api.get(f"/portfolios/{pid}/export", headers=owner.headers).json()
    trade = {"symbol": "AAPL", "price": "100", "amount": "0", "ratio": "0", "commission": "0", "notes": ""}
    document["transactions"] = [
        {**trade, "kind": "buy", "trade_date": str(LAST_YEAR), "quantity": "1"},
        {**trade, "kind": "sell", "trade_date": str(TODAY), "quantity": "2"},
    ]
    assert_problem(
        api.post("/portfolios/import", json=document, headers=owner.headers), 422, "transactions[1].quantity"
    )
