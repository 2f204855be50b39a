"""Option contracts held in a portfolio, through the gateway on the launcher's fleet: a covered
call marked at the chain with its Greeks, expired contracts settled into shares or lapsing, and
the entries a contract cannot take."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from eqr_testing.api import Account, assert_problem, register_and_login

TODAY = date.today()
MONDAY = TODAY - timedelta(days=TODAY.weekday() or 7)
LAST_FRIDAY = MONDAY - timedelta(days=3)
"""The last expiry strictly before today: a contract on it has expired."""


@pytest.fixture(scope="module")
def trader(api: httpx.Client) -> Account:
    return register_and_login(api, "options-trader")


def _portfolio(api: httpx.Client, who: Account) -> str:
    body = {"name": f"Options {uuid.uuid4().hex[:6]}", "allow_short": True}
    response = api.post("/portfolios", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    portfolio_id: str = response.json()["id"]
    return portfolio_id


def _record(api: httpx.Client, who: Account, pid: str, **entry: object) -> httpx.Response:
    return api.post(f"/portfolios/{pid}/transactions", json=entry, headers=who.headers)


def _holdings(api: httpx.Client, who: Account, pid: str) -> dict[str, Any]:
    response = api.get(f"/portfolios/{pid}/holdings", headers=who.headers)
    assert response.status_code == 200, response.text
    valuation: dict[str, Any] = response.json()
    return valuation


def _occ(underlying: str, expiry: date, kind: str, strike: Decimal) -> str:
    return f"{underlying}{expiry:%y%m%d}{kind[0].upper()}{int(strike * 1000):08d}"


def _listed_call(api: httpx.Client, who: Account, symbol: str, above: Decimal) -> tuple[str, dict[str, Any]]:
    """The first listed call more than a month out with a strike above ``above``, and its row."""
    response = api.get(f"/options/{symbol}/chain", headers=who.headers)
    assert response.status_code == 200, response.text
    for group in response.json()["expiries"]:
        expiry = date.fromisoformat(group["expiry"])
        if expiry < TODAY + timedelta(days=30):
            continue
        for call in group["calls"]:
            if Decimal(str(call["strike"])) > above and call["bid"] > 0:
                return _occ(symbol, expiry, "call", Decimal(str(call["strike"]))), call
    raise AssertionError("no listed call found")


def test_a_covered_call_is_marked_at_the_chain_and_nets_its_greeks(
    api: httpx.Client, trader: Account
) -> None:
    pid = _portfolio(api, trader)
    price = Decimal(str(api.get("/stocks/AAPL/quote", headers=trader.headers).json()["price"]))
    assert (
        _record(api, trader, pid, kind="deposit", trade_date=str(TODAY), amount="100000").status_code == 201
    )
    bought = _record(
        api, trader, pid, kind="buy", trade_date=str(TODAY), symbol="AAPL", quantity="100", price=str(price)
    )
    assert bought.status_code == 201, bought.text
    symbol, row = _listed_call(api, trader, "AAPL", price * Decimal("1.05"))
    premium = Decimal(str(row["bid"]))
    sold = _record(
        api, trader, pid, kind="sell", trade_date=str(TODAY), symbol=symbol, quantity="1", price=str(premium)
    )
    assert sold.status_code == 201, sold.text

    valuation = _holdings(api, trader, pid)
    by_symbol = {h["symbol"]: h for h in valuation["holdings"]}
    call, shares = by_symbol[symbol], by_symbol["AAPL"]
    assert call["option"]["underlying"] == "AAPL"
    assert call["option"]["multiplier"] == 100
    assert call["option"]["price_source"] in ("chain_mid", "model")
    assert Decimal(call["quantity"]) == -1
    assert Decimal(call["market_value"]) == -100 * Decimal(call["price"])
    assert Decimal(call["cost_basis"]) == -100 * premium
    assert call["sector"] == shares["sector"]  # classified as its underlying
    greeks = call["greeks"]
    assert greeks["dollar_delta"] < 0  # short a call
    assert greeks["vega_per_point"] < 0
    assert greeks["theta_per_day"] > 0  # time works for the writer
    assert shares["greeks"]["dollar_delta"] == pytest.approx(float(shares["market_value"]))
    assert 0 < -greeks["dollar_delta"] < float(shares["market_value"])  # the call covers part of the delta
    totals = valuation["totals"]["greeks"]
    assert totals["dollar_delta"] == pytest.approx(shares["greeks"]["dollar_delta"] + greeks["dollar_delta"])
    assert totals["vega_per_point"] == pytest.approx(greeks["vega_per_point"])
    cash = Decimal(by_symbol["USD"]["market_value"])
    securities = sum(Decimal(h["market_value"]) for h in valuation["holdings"] if not h["is_cash"])
    assert Decimal(valuation["totals"]["market_value"]) == cash + securities


def test_expired_contracts_are_exercised_into_shares_or_lapse(api: httpx.Client, trader: Account) -> None:
    pid = _portfolio(api, trader)
    price = Decimal(str(api.get("/stocks/MSFT/quote", headers=trader.headers).json()["price"]))
    deep_in = (price / 2).quantize(Decimal(1))
    far_out = (price * 2).quantize(Decimal(1))
    in_the_money = _occ("MSFT", LAST_FRIDAY, "call", deep_in)
    out_of_the_money = _occ("MSFT", LAST_FRIDAY, "call", far_out)
    bought_on = str(LAST_FRIDAY - timedelta(days=4))
    assert _record(api, trader, pid, kind="deposit", trade_date=bought_on, amount="500000").status_code == 201
    for symbol, premium in ((in_the_money, price / 2), (out_of_the_money, Decimal("0.05"))):
        premium_text = str(premium.quantize(Decimal("0.01")))
        recorded = _record(
            api,
            trader,
            pid,
            kind="buy",
            trade_date=bought_on,
            symbol=symbol,
            quantity="2",
            price=premium_text,
        )
        assert recorded.status_code == 201, recorded.text

    deadline = time.monotonic() + 30
    while True:
        held = {h["symbol"]: h for h in _holdings(api, trader, pid)["holdings"] if not h["is_cash"]}
        if set(held) == {"MSFT"} or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert set(held) == {"MSFT"}, held  # both contracts settled
    assert Decimal(held["MSFT"]["quantity"]) == 200  # 2 contracts exercised
    assert Decimal(held["MSFT"]["cost_basis"]) == 200 * deep_in  # bought at the strike
    entries = api.get(f"/portfolios/{pid}/transactions", headers=trader.headers).json()["items"]
    notes = " | ".join(e["notes"] for e in entries)
    assert "expired worthless" in notes
    assert "exercised" in notes
    assert all(e["trade_date"] == str(LAST_FRIDAY) for e in entries if e["notes"])


def test_entries_a_contract_cannot_take_are_refused_naming_the_field(
    api: httpx.Client, trader: Account
) -> None:
    pid = _portfolio(api, trader)
    listed = _occ("AAPL", TODAY + timedelta(days=60), "call", Decimal(200))
    dividend = _record(api, trader, pid, kind="dividend", trade_date=str(TODAY), symbol=listed, amount="5")
    assert_problem(dividend, 422, "symbol")
    late = _record(
        api,
        trader,
        pid,
        kind="buy",
        trade_date=str(TODAY),
        symbol=_occ("AAPL", LAST_FRIDAY, "call", Decimal(200)),
        quantity="1",
        price="1",
    )
    assert_problem(late, 422, "trade_date")
    no_such_day = _record(
        api,
        trader,
        pid,
        kind="buy",
        trade_date=str(TODAY),
        symbol="AAPL261318C00200000",
        quantity="1",
        price="1",
    )
    assert_problem(no_such_day, 422, "symbol")
    assert _holdings(api, trader, pid)["holdings"][-1]["is_cash"]  # nothing was written
