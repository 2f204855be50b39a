"""Options through the gateway on the launcher's fleet: textbook prices, Greeks and implied
vols, a listed chain and its surface, strategies, saved strategies per user, hostile input."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from eqr_launcher.registry import module_installed
from eqr_testing.api import Account, assert_problem, register_and_login

pytestmark = pytest.mark.skipif(
    not module_installed("eqr_options"), reason="the options service is not part of this fleet yet"
)

SYMBOL = "AAPL"
# Hull, Options, Futures and Other Derivatives, example 15.6: S=42, K=40, r=10%, sigma=20%, T=0.5.
HULL = {"spot": 42.0, "strike": 40.0, "years": 0.5, "vol": 0.2}
HULL_CALL, HULL_PUT = 4.7594, 0.8086


@pytest.fixture(scope="module")
def trader(api: httpx.Client) -> Account:
    return register_and_login(api, "trader")


def _post(api: httpx.Client, who: Account, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, json=body, headers=who.headers)
    assert response.status_code in (200, 201), response.text
    document: dict[str, Any] = response.json()
    return document


def _get(api: httpx.Client, who: Account, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture(scope="module")
def chain(api: httpx.Client, trader: Account) -> dict[str, Any]:
    return _get(api, trader, f"/options/{SYMBOL}/chain")


def test_options_need_a_signed_in_user(api: httpx.Client) -> None:
    assert_problem(api.get(f"/options/{SYMBOL}/chain"), 401)
    assert_problem(api.post("/options/price", json={"options": []}), 401)
    forged = {"Authorization": "Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"}
    assert_problem(api.get("/options/strategies", headers=forged), 401)


def test_hulls_example_prices_greeks_and_put_call_parity(api: httpx.Client, trader: Account) -> None:
    body = {"rate": 0.1, "options": [{"kind": "call", **HULL}, {"kind": "put", **HULL}]}
    call, put = _post(api, trader, "/options/greeks", {**body, "second_order": True})["results"]
    assert call["price"] == pytest.approx(HULL_CALL, abs=5e-5)
    assert put["price"] == pytest.approx(HULL_PUT, abs=5e-5)
    parity = HULL["spot"] - HULL["strike"] * math.exp(-0.1 * HULL["years"])
    assert call["price"] - put["price"] == pytest.approx(parity, abs=1e-10)
    assert 0 < call["delta"] < 1
    assert -1 < put["delta"] < 0
    assert call["delta"] - put["delta"] == pytest.approx(1.0, abs=1e-12)
    assert call["gamma"] == pytest.approx(put["gamma"])
    assert call["gamma"] > 0
    assert call["vega"] == pytest.approx(put["vega"])
    assert call["vega"] > 0
    assert call["theta"] < 0
    assert call["theta_per_day"] == pytest.approx(call["theta"] / 365)
    assert call["rho"] > 0 > put["rho"]
    assert all(
        isinstance(call[name], float) for name in ("vanna", "volga", "charm", "speed", "zomma", "colour")
    )
    prices = _post(api, trader, "/options/price", body)
    assert [row["price"] for row in prices["results"]] == pytest.approx(
        [call["price"], put["price"]], abs=1e-12
    )
    assert set(prices["results"][0]) == {"price", "error"}


def test_implied_vols_round_trip_and_refuse_impossible_prices(api: httpx.Client, trader: Account) -> None:
    rows = [
        {"kind": kind, "spot": 100.0, "strike": strike, "years": years, "vol": vol}
        for kind in ("call", "put")
        for strike in (60.0, 100.0, 160.0)
        for years in (0.05, 1.0, 5.0)
        for vol in (0.1, 0.4, 1.5)
    ]
    priced = _post(api, trader, "/options/price", {"rate": 0.03, "dividend_yield": 0.01, "options": rows})
    quoted = [
        {**{k: v for k, v in row.items() if k != "vol"}, "price": result["price"]}
        for row, result in zip(rows, priced["results"], strict=True)
    ]
    greeks = _post(api, trader, "/options/greeks", {"rate": 0.03, "dividend_yield": 0.01, "options": rows})
    solved = _post(
        api, trader, "/options/implied-vol", {"rate": 0.03, "dividend_yield": 0.01, "options": quoted}
    )
    assert len(solved["results"]) == len(rows)
    for row, result, sens in zip(rows, solved["results"], greeks["results"], strict=True):
        if sens["vega"] > 1e-6:
            assert result["error"] is None, (row, result)
            assert result["vol"] == pytest.approx(row["vol"], abs=1e-8), row
    impossible = [
        {"kind": "call", "spot": 100.0, "strike": 80.0, "years": 1.0, "price": 5.0},  # below intrinsic
        {"kind": "call", "spot": 100.0, "strike": 80.0, "years": 1.0, "price": 150.0},  # above the spot
        {"kind": "put", "spot": 100.0, "strike": 100.0, "years": 1.0, "price": 7.0},
    ]
    below, above, fine = _post(api, trader, "/options/implied-vol", {"rate": 0.0, "options": impossible})[
        "results"
    ]
    for bad in (below, above):
        assert bad["vol"] is None
        assert bad["error"]["field"] == "price"
        assert bad["error"]["reason"]
    assert fine["error"] is None
    assert 0.1 < fine["vol"] < 0.3


def test_american_puts_are_worth_at_least_european_ones(api: httpx.Client, trader: Account) -> None:
    body = {
        "rate": 0.08,
        "options": [{"kind": "put", "spot": 40.0, "strike": 45.0, "years": 1.0, "vol": 0.3}],
    }
    european = _post(api, trader, "/options/price", body)["results"][0]["price"]
    american = _post(api, trader, "/options/price", {**body, "style": "american"})
    assert american["method"]
    assert american["results"][0]["price"] > european + 0.05
    assert american["results"][0]["price"] >= 45.0 - 40.0


def test_an_american_puts_exercise_boundary_rises_to_the_strike(api: httpx.Client, trader: Account) -> None:
    body = {
        "style": "american",
        "rate": 0.08,
        "vol": 0.3,
        "points": 21,
        "options": [{"kind": "put", "spot": 40.0, "strike": 45.0, "years": 1.0}],
    }
    (boundary,) = _post(api, trader, "/options/exercise-boundary", body)["results"]
    years, spots = boundary["years"], boundary["spot"]
    assert years == pytest.approx([i / 21 for i in range(21)])  # from now toward expiry
    assert all(0 < s < 45.0 for s in spots)
    # Further from expiry, the put must be deeper in the money before exercising pays; the
    # boundary rises toward the strike as expiry nears.
    assert spots == sorted(spots)
    assert spots[-1] > 39.0
    assert spots[0] < 35.0


def test_the_chain_is_quoted_consistently_with_the_model(
    api: httpx.Client, trader: Account, chain: dict[str, Any]
) -> None:
    underlying = chain["underlying"]
    assert underlying["symbol"] == SYMBOL
    assert underlying["spot"] > 0
    assert 0 < underlying["vol"] < 2
    assert len(chain["expiries"]) >= 5
    expiries = [group["expiry"] for group in chain["expiries"]]
    assert expiries == sorted(expiries)
    checks: list[tuple[dict[str, Any], dict[str, Any], str, float]] = []
    for group in chain["expiries"]:
        assert group["years"] > 0
        for side, sign in (("calls", 1), ("puts", -1)):
            quotes = group[side]
            assert quotes, (group["expiry"], side)
            assert [q["strike"] for q in quotes] == sorted(q["strike"] for q in quotes)
            for quote in quotes:
                assert 0 <= quote["bid"] <= quote["ask"], quote
                assert quote["volume"] >= 0
                assert quote["open_interest"] >= 0
                if quote["iv"] is None:
                    assert quote["iv_error"], quote
                    continue
                assert 0.01 < quote["iv"] < 3, quote
                assert 0 <= sign * quote["delta"] <= 1, quote
                assert quote["gamma"] >= 0
                assert quote["vega"] >= 0
                if abs(quote["strike"] / underlying["spot"] - 1) < 0.1:
                    checks.append((group, quote, side[:-1], quote["iv"]))
    assert checks
    # The model at each near-the-money contract's implied vol gives back its mid.
    rows = [
        {"kind": kind, "strike": quote["strike"], "years": group["years"], "vol": iv}
        for group, quote, kind, iv in checks
    ]
    body = {
        "spot": underlying["spot"],
        "rate": underlying["rate"],
        "dividend_yield": underlying["dividend_yield"],
        "options": rows,
    }
    repriced = _post(api, trader, "/options/price", body)["results"]
    for (_, quote, _, _), result in zip(checks, repriced, strict=True):
        mid = (quote["bid"] + quote["ask"]) / 2
        assert result["price"] == pytest.approx(mid, abs=1e-6), quote


def test_only_the_expiries_asked_for(api: httpx.Client, trader: Account, chain: dict[str, Any]) -> None:
    wanted = [chain["expiries"][1]["expiry"], chain["expiries"][3]["expiry"]]
    response = api.get(f"/options/{SYMBOL}/chain", params={"expiry": wanted}, headers=trader.headers)
    assert response.status_code == 200, response.text
    assert [group["expiry"] for group in response.json()["expiries"]] == wanted


def test_the_surface_fits_the_chain_without_butterfly_arbitrage(api: httpx.Client, trader: Account) -> None:
    surface = _get(api, trader, f"/options/{SYMBOL}/surface")
    assert surface["underlying"]["symbol"] == SYMBOL
    assert isinstance(surface["calendar_free"], bool)
    smiles = surface["smiles"]
    assert len(smiles) >= 5
    for smile in smiles:
        fit = (smile["expiry"], smile["years"], smile["params"], smile["rms_error"])
        assert smile["butterfly_free"], fit
        assert smile["rms_error"] < 0.01, smile["expiry"]
        assert set(smile["params"]) == {"a", "b", "rho", "m", "sigma"}
        residuals = [point["residual"] for point in smile["points"] if point["residual"] is not None]
        assert len(residuals) >= 5
        assert max(abs(r) for r in residuals) < 0.03, smile["expiry"]
        assert 0.01 < smile["atm_vol"] < 3
    assert [(t["expiry"], t["atm_vol"]) for t in surface["term_structure"]] == [
        (smile["expiry"], smile["atm_vol"]) for smile in smiles
    ]


def _strikes_near(chain_group: dict[str, Any], spot: float, ratios: tuple[float, ...]) -> list[float]:
    strikes = sorted({quote["strike"] for quote in chain_group["calls"]})
    return [min(strikes, key=lambda strike: abs(strike - spot * ratio)) for ratio in ratios]


def test_an_iron_condor_from_the_template_is_bounded_both_ways(
    api: httpx.Client, trader: Account, chain: dict[str, Any]
) -> None:
    group = next(g for g in chain["expiries"] if g["years"] > 20 / 365)
    strikes = _strikes_near(group, chain["underlying"]["spot"], (0.85, 0.93, 1.07, 1.15))
    assert strikes == sorted(set(strikes)), strikes
    body = {"symbol": SYMBOL, "template": "iron_condor", "strikes": strikes, "expiries": [group["expiry"]]}
    analysis = _post(api, trader, "/options/strategy", body)
    assert analysis["symbol"] == SYMBOL
    assert len(analysis["legs"]) == 4
    assert (analysis["profit_unlimited"], analysis["loss_unlimited"]) == (False, False)
    assert analysis["max_profit"] is not None
    assert analysis["max_loss"] is not None
    assert analysis["max_loss"] < 0 < analysis["max_profit"]
    assert analysis["cost"] < 0  # a condor is opened for a credit
    assert len(analysis["breakevens"]) == 2
    low, high = analysis["breakevens"]
    assert strikes[0] < low < strikes[1] < strikes[2] < high < strikes[3]
    assert 0 < analysis["probability_of_profit"] < 1
    diagram = analysis["diagram"]
    assert len(diagram["spots"]) == len(diagram["at_expiry"]) == len(diagram["now"]) > 10
    assert max(v for v in diagram["at_expiry"] if v is not None) == pytest.approx(
        analysis["max_profit"], rel=1e-6
    )
    grid = analysis["scenarios"]
    assert len(grid["pnl"]) == len(grid["spot_shocks"])
    assert all(len(row) == len(grid["vol_shocks"]) for row in grid["pnl"])


def test_a_short_call_has_unlimited_loss(api: httpx.Client, trader: Account) -> None:
    leg = {"kind": "call", "quantity": -1, "premium": 3.0, "strike": 100.0, "expiry_years": 0.25, "vol": 0.25}
    analysis = _post(
        api, trader, "/options/strategy", {"legs": [leg], "market": {"spot": 100.0, "rate": 0.03}}
    )
    assert (analysis["max_loss"], analysis["loss_unlimited"]) == (None, True)
    assert analysis["profit_unlimited"] is False
    assert analysis["max_profit"] == pytest.approx(300.0)
    assert analysis["breakevens"] == [pytest.approx(103.0)]


def test_saved_strategies_belong_to_their_user(api: httpx.Client, trader: Account) -> None:
    other = register_and_login(api, "other-trader")
    legs = [
        {"kind": "stock", "quantity": 100, "premium": 230.0},
        {"kind": "call", "quantity": -1, "premium": 2.5, "strike": 250.0, "expiry_years": 0.1, "vol": 0.3},
    ]
    saved = _post(api, trader, "/options/strategies", {"symbol": SYMBOL, "name": "covered", "legs": legs})
    url = f"/options/strategies/{saved['id']}"
    assert _get(api, trader, url) == saved
    assert saved["id"] in [item["id"] for item in _get(api, trader, "/options/strategies")["items"]]
    assert_problem(api.get(url, headers=other.headers), 404)
    assert_problem(api.put(url, json={"symbol": SYMBOL, "legs": legs}, headers=other.headers), 404)
    assert_problem(api.delete(url, headers=other.headers), 404)
    assert _get(api, other, "/options/strategies")["items"] == []
    renamed = api.put(
        url, json={"symbol": SYMBOL, "name": "covered call", "legs": legs}, headers=trader.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "covered call"
    assert api.delete(url, headers=trader.headers).status_code == 204
    assert_problem(api.get(url, headers=trader.headers), 404)


def test_the_one_option_calculator(api: httpx.Client, trader: Account) -> None:
    body = {
        "symbol": "aapl",
        "option_type": "call",
        "spot": 42.0,
        "strike": 40.0,
        "years": 0.5,
        "volatility": 0.2,
        "rate": 0.1,
        "market_price": HULL_CALL,
    }
    analysis = _post(api, trader, "/analytics/options", body)
    assert analysis["symbol"] == "AAPL"
    assert analysis["price"] == pytest.approx(HULL_CALL, abs=5e-5)
    assert analysis["implied_volatility"] == pytest.approx(0.2, abs=1e-5)
    assert all(value is not None for value in analysis["greeks"].values())


def test_hostile_options_input(api: httpx.Client, trader: Account) -> None:
    headers = {**trader.headers, "content-type": "application/json"}
    nan = api.post(
        "/options/price",
        content=b'{"rate":0,"options":[{"kind":"call","spot":1,"strike":1,"years":1,"vol":NaN}]}',
        headers=headers,
    )
    assert_problem(nan, 422, "body.options[0].vol")
    negative = {"rate": 0, "options": [{"kind": "call", "spot": -42, "strike": 40, "years": 1, "vol": 0.2}]}
    assert_problem(
        api.post("/options/price", json=negative, headers=trader.headers), 422, "body.options[0].spot"
    )
    row = {"kind": "call", "spot": 42, "strike": 40, "years": 1, "vol": 0.2}
    absurd = {"rate": 0, "options": [row, row, {**row, "vol": 55.0}]}  # the service's bound: 1000%
    assert_problem(
        api.post("/options/greeks", json=absurd, headers=trader.headers), 422, "body.options[2].vol"
    )
    huge = {"rate": 0, "vol": 0.2, "options": [{"kind": "put", "spot": 1, "strike": 1, "years": 1}] * 10_001}
    assert_problem(api.post("/options/price", json=huge, headers=trader.headers), 422, "body.options")
    assert_problem(api.post("/options/price", content=b'{"options": [', headers=headers), 400)
    assert_problem(api.get("/options/NOPE-NOT-LISTED/chain", headers=trader.headers), 404)
    assert_problem(api.get("/options/%2e%2e/surface", headers=trader.headers), 422, "path.symbol")
    assert_problem(api.get("/options/strategies/not-an-id", headers=trader.headers), 422, "path.strategy_id")
    wrong_template = {"symbol": SYMBOL, "template": "iron_condor", "strikes": [100.0], "expiries": []}
    assert_problem(api.post("/options/strategy", json=wrong_template, headers=trader.headers), 422)
