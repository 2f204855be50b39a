"""/api/v1/options and /api/v1/analytics/options, mapped both ways against the fake service.

The fake's figures say where they came from (price = strike + row / 1000, delta = 1 + row /
1000, gamma = 2 + ...): the tests check conversion, not mathematics.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import grpc
import httpx
import pytest

from eqr.common.v1 import date_pb2
from eqr.options.v1 import options_service_pb2 as op_pb
from eqr.options.v1 import resources_pb2 as op
from eqr_gateway.schemas.options import (
    ExerciseBoundaryResponse,
    GreeksResponse,
    ImpliedVolResponse,
    OptionAnalysis,
    OptionChain,
    PriceResponse,
    VolSurface,
)
from eqr_gateway.schemas.options_strategy import SavedStrategy, SavedStrategyPage, StrategyAnalysis
from eqr_platform.grpc import FieldViolation

Problem = Callable[[httpx.Response, int], dict[str, Any]]
API = "/api/v1/options"
FIRST_ORDER = ("delta", "gamma", "vega", "theta", "theta_per_day", "rho", "dividend_rho")
SECOND_ORDER = ("vanna", "volga", "charm", "speed", "zomma", "colour")
CONDOR_LEGS = [
    {"kind": "put", "quantity": 1, "premium": 0.8, "strike": 90, "expiry_years": 0.25, "vol": 0.3},
    {"kind": "put", "quantity": -1, "premium": 1.6, "strike": 95, "expiry_years": 0.25, "vol": 0.28},
    {"kind": "call", "quantity": -1, "premium": 1.5, "strike": 105, "expiry": "2025-06-20", "vol": 0.22},
    {"kind": "call", "quantity": 1, "premium": 0.7, "strike": 110, "expiry": "2025-06-20", "multiplier": 10},
]


@pytest.fixture
def trader(sign_in: Callable[..., Any]) -> Any:
    return sign_in()


def _fields(body: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["message"] for error in body["errors"]}


def _day(text: str) -> date_pb2.Date:
    day = date.fromisoformat(text)
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


async def test_price_sends_rows_as_columns_and_answers_rows_in_order(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    body = {
        "rate": 0.1,
        "options": [
            {"kind": "call", "spot": 42, "strike": 40, "years": 0.5, "vol": 0.2},
            {"kind": "put", "spot": 43, "strike": 41, "years": 0.25, "vol": 0.3, "dividend_yield": 0.02},
        ],
    }
    response = await client.post(f"{API}/price", json=body, headers=trader.headers)
    assert response.status_code == 200, response.text
    sent = fake_options.last("PriceOptions").request
    batch = sent.batch
    assert (batch.model, batch.style) == (op.PRICING_MODEL_BSM, op.EXERCISE_STYLE_EUROPEAN)
    assert list(batch.kind) == [op.OPTION_KIND_CALL, op.OPTION_KIND_PUT]
    assert (list(batch.spot), list(batch.strike), list(batch.years)) == ([42, 43], [40, 41], [0.5, 0.25])
    assert list(batch.rate) == [0.1]  # the top-level default travels once
    assert list(batch.dividend_yield) == [0.0, 0.02]
    assert (list(sent.vol), sent.greeks, list(batch.expiry)) == ([0.2, 0.3], op_pb.GREEKS_WANTED_NONE, [])
    assert fake_options.last("PriceOptions").metadata["authorization"] == f"Bearer {trader.token}"
    document = response.json()
    PriceResponse.model_validate(document)
    assert document == {
        "model": "bsm",
        "style": "european",
        "method": None,
        "results": [{"price": 40.0, "error": None}, {"price": 41.001, "error": None}],
    }


async def test_greeks_first_order_then_second_order(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    rows = [{"kind": "call", "strike": 100 + index, "years": 1} for index in range(3)]
    body = {"spot": 100, "rate": 0.05, "vol": 0.2, "options": rows}
    first = await client.post(f"{API}/greeks", json=body, headers=trader.headers)
    assert first.status_code == 200, first.text
    assert fake_options.last("PriceOptions").request.greeks == op_pb.GREEKS_WANTED_FIRST_ORDER
    results = GreeksResponse.model_validate(first.json()).results
    assert set(first.json()["results"][0]) == {"price", "error", *FIRST_ORDER}
    for index, result in enumerate(results):
        assert result.price == pytest.approx(100 + index + index / 1000)
        for base, name in enumerate(FIRST_ORDER, start=1):
            assert getattr(result, name) == pytest.approx(base + index / 1000)
    second = await client.post(f"{API}/greeks", json={**body, "second_order": True}, headers=trader.headers)
    assert fake_options.last("PriceOptions").request.greeks == op_pb.GREEKS_WANTED_ALL
    row = second.json()["results"][2]
    assert set(row) == {"price", "error", *FIRST_ORDER, *SECOND_ORDER}
    assert [row[name] for name in SECOND_ORDER] == pytest.approx(
        [11.002, 12.002, 13.002, 14.002, 15.002, 16.002]
    )


async def test_a_row_the_model_cannot_price_is_null_with_its_error(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    rows = [
        {"kind": "call", "strike": 100, "years": 1, "vol": 0.2},
        {"kind": "call", "strike": 100, "years": 1, "vol": 9.99},
        {"kind": "put", "strike": 666, "years": 1, "vol": 0.2},
    ]
    body = {"spot": 100, "rate": 0.05, "second_order": True, "options": rows}
    response = await client.post(f"{API}/greeks", json=body, headers=trader.headers)
    assert response.status_code == 200, response.text
    assert "NaN" not in response.text
    assert "Infinity" not in response.text
    ok, failed, nan = response.json()["results"]
    assert (ok["error"], ok["price"]) == (None, 100.0)
    assert failed["error"] == {"field": "vol", "reason": "the model cannot price this row"}
    assert {value for name, value in failed.items() if name != "error"} == {None}
    assert (nan["price"], nan["error"], nan["delta"]) == (None, None, 1.002)


async def test_implied_vols_with_per_row_errors(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    rows = [
        {"kind": "call", "spot": 42, "strike": 40, "years": 0.5, "price": 4.75},
        {"kind": "put", "spot": 42, "strike": 40, "years": 0.5, "price": 0.001},
    ]
    response = await client.post(
        f"{API}/implied-vol", json={"rate": 0.1, "options": rows}, headers=trader.headers
    )
    assert response.status_code == 200, response.text
    ImpliedVolResponse.model_validate(response.json())
    assert response.json()["results"] == [
        {"vol": 0.0475, "error": None},
        {"vol": None, "error": {"field": "price", "reason": "below the intrinsic value"}},
    ]
    assert list(fake_options.last("SolveImpliedVols").request.price) == [4.75, 0.001]


async def test_the_exercise_boundary_per_option_with_null_where_there_is_none(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    body = {
        "style": "american",
        "rate": 0.05,
        "vol": 0.3,
        "points": 3,
        "options": [{"kind": "put", "spot": 100, "strike": 100, "years": 1}],
    }
    response = await client.post(f"{API}/exercise-boundary", json=body, headers=trader.headers)
    assert response.status_code == 200, response.text
    ExerciseBoundaryResponse.model_validate(response.json())
    assert response.json() == {"results": [{"years": [0.0, 0.5, 1.0], "spot": [None, None, 100.0]}]}
    sent = fake_options.last("GetExerciseBoundary").request
    assert (sent.points, sent.batch.style, list(sent.vol)) == (3, op.EXERCISE_STYLE_AMERICAN, [0.3])
    too_many = {**body, "options": body["options"] * 101}
    assert (
        await client.post(f"{API}/exercise-boundary", json=too_many, headers=trader.headers)
    ).status_code == 422
    too_fine = {**body, "points": 501}
    assert (
        await client.post(f"{API}/exercise-boundary", json=too_fine, headers=trader.headers)
    ).status_code == 422


async def test_expiry_dates_dividends_and_the_american_method(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    body = {
        "model": "bsm",
        "style": "american",
        "valuation_date": "2025-03-14",
        "dividends": [{"years": 0.1, "amount": 0.5}],
        "spot": 100,
        "rate": 0.03,
        "dividend_yield": 0.01,
        "vol": 0.25,
        "options": [
            {"kind": "put", "strike": 100, "expiry": "2025-06-20"},
            {"kind": "put", "strike": 95, "expiry": "2025-09-19"},
        ],
    }
    response = await client.post(f"{API}/price", json=body, headers=trader.headers)
    assert response.status_code == 200, response.text
    batch = fake_options.last("PriceOptions").request.batch
    assert batch.style == op.EXERCISE_STYLE_AMERICAN
    assert list(batch.expiry) == [_day("2025-06-20"), _day("2025-09-19")]
    assert (list(batch.years), batch.valuation_date) == ([], _day("2025-03-14"))
    assert [(d.years, d.amount) for d in batch.dividends] == [(0.1, 0.5)]
    assert list(batch.dividend_yield) == [0.01]
    assert response.json()["method"] == "fixed point (ALO); Greeks by finite differences"
    black76 = await client.post(f"{API}/price", json={**body, "model": "black76"}, headers=trader.headers)
    assert black76.status_code == 200
    assert fake_options.last("PriceOptions").request.batch.model == op.PRICING_MODEL_BLACK76


@pytest.mark.parametrize(
    ("rows", "top", "field", "message"),
    [
        (
            [{"kind": "call", "strike": 1, "years": 1}],
            {"rate": 0.1, "vol": 0.2},
            "body.options[0].spot",
            "give spot",
        ),
        (
            [
                {"kind": "call", "spot": 1, "strike": 1, "years": 1, "rate": 0.1},
                {"kind": "call", "spot": 1, "strike": 1, "years": 1},
            ],
            {"vol": 0.2},
            "body.options[1].rate",
            "give rate",
        ),
        (
            [{"kind": "call", "spot": 1, "strike": 1, "years": 1}],
            {"rate": 0.1},
            "body.options[0].vol",
            "give vol",
        ),
        (
            [{"kind": "call", "spot": 1, "strike": 1}],
            {"rate": 0.1, "vol": 0.2},
            "body.options[0].years",
            "give years",
        ),
        (
            [{"kind": "call", "spot": 1, "strike": 1, "years": 1, "expiry": "2026-01-16"}],
            {"rate": 0.1, "vol": 0.2},
            "body.options[0].expiry",
            "not both",
        ),
        (
            [
                {"kind": "call", "spot": 1, "strike": 1, "years": 1},
                {"kind": "put", "spot": 1, "strike": 1, "expiry": "2026-01-16"},
            ],
            {"rate": 0.1, "vol": 0.2},
            "body.options[1].years",
            "every row",
        ),
    ],
)
async def test_rows_missing_what_no_default_gives_are_named(
    client: httpx.AsyncClient,
    trader: Any,
    problem: Problem,
    fake_options: Any,
    rows: list[Any],
    top: dict[str, Any],
    field: str,
    message: str,
) -> None:
    calls = fake_options.count("PriceOptions")
    response = await client.post(f"{API}/price", json={**top, "options": rows}, headers=trader.headers)
    fields = _fields(problem(response, 422))
    assert list(fields) == [field]
    assert message in fields[field]
    assert fake_options.count("PriceOptions") == calls


async def test_service_violations_name_the_row_and_field(
    client: httpx.AsyncClient, trader: Any, problem: Problem, fake_options: Any
) -> None:
    fake_options.fail_next(
        "PriceOptions",
        grpc.StatusCode.INVALID_ARGUMENT,
        "bad batch",
        violations=[
            FieldViolation("batch.strike", "row 3: must be above 0 and at most inf (got -1.0)"),
            FieldViolation("vol", "must be above 0 and at most 10 (got 11.0)"),
            FieldViolation("greeks", "second-order Greeks are European only"),
        ],
    )
    rows = [{"kind": "call", "strike": 1, "years": 1}] * 4
    body = {"spot": 1, "rate": 0, "vol": 11, "options": rows}
    fields = _fields(problem(await client.post(f"{API}/greeks", json=body, headers=trader.headers), 422))
    assert fields == {
        "body.options[3].strike": "must be above 0 and at most inf (got -1.0)",
        "body.vol": "must be above 0 and at most 10 (got 11.0)",
        "body.second_order": "second-order Greeks are European only",
    }


async def test_the_row_limit_is_a_setting(
    make_gateway: Callable[..., Any], trader: Any, problem: Problem, fake_options: Any
) -> None:
    priced = {"kind": "call", "strike": 1.0, "years": 1.0, "vol": 0.2}
    quoted = {"kind": "call", "strike": 1.0, "years": 1.0, "price": 0.5}
    async with make_gateway(options_max_rows=3) as (_, client):
        for path, row in (("price", priced), ("greeks", priced), ("implied-vol", quoted)):
            too_many = await client.post(
                f"{API}/{path}", json={"spot": 1, "rate": 0, "options": [row] * 4}, headers=trader.headers
            )
            assert _fields(problem(too_many, 422)) == {"body.options": "at most 3 rows per request, got 4"}
            enough = await client.post(
                f"{API}/{path}", json={"spot": 1, "rate": 0, "options": [row] * 3}, headers=trader.headers
            )
            assert enough.status_code == 200, enough.text


async def test_chain_is_grouped_by_expiry_with_calls_and_puts_by_strike(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    response = await client.get(f"{API}/aapl/chain", headers=trader.headers)
    assert response.status_code == 200, response.text
    assert fake_options.last("GetChain").request.symbol == "AAPL"
    chain = response.json()
    OptionChain.model_validate(chain)
    assert chain["underlying"] == {
        "symbol": "AAPL",
        "spot": 100.0,
        "vol": 0.25,
        "rate": 0.04,
        "dividend_yield": 0.01,
        "source": "simulated",
    }
    assert chain["as_of"] == "2025-03-14T15:42:07Z"
    assert [e["expiry"] for e in chain["expiries"]] == ["2025-03-21", "2025-04-17"]
    near = chain["expiries"][0]
    assert near["years"] == 0.2
    assert [q["strike"] for q in near["calls"]] == [90.0, 100.0, 110.0]
    assert [q["strike"] for q in near["puts"]] == [90.0, 100.0, 110.0]
    assert {q["delta"] for q in near["calls"]} == {0.5}
    assert near["calls"][0] == {
        "contract_symbol": "AAPL 0321190",
        "strike": 90.0,
        "bid": 9.0,
        "ask": 9.05,
        "last": 9.02,
        "volume": 90,
        "open_interest": 900,
        "iv": 0.2,
        "iv_error": None,
        "delta": 0.5,
        "gamma": 0.01,
        "vega": 0.2,
        "theta_per_day": -0.03,
        "rho": 0.1,
    }
    assert (near["puts"][2]["iv"], near["puts"][2]["iv_error"]) == (None, "no time value")
    assert "NaN" not in response.text


async def test_chain_of_chosen_expiries(client: httpx.AsyncClient, trader: Any, fake_options: Any) -> None:
    response = await client.get(
        f"{API}/MSFT/chain?expiry=2025-06-20&expiry=2025-05-16", headers=trader.headers
    )
    assert response.status_code == 200, response.text
    assert list(fake_options.last("GetChain").request.expiries) == [_day("2025-06-20"), _day("2025-05-16")]
    assert [e["expiry"] for e in response.json()["expiries"]] == ["2025-05-16", "2025-06-20"]


@pytest.mark.parametrize("path", ["chain", "surface"])
async def test_an_unknown_symbol_is_404(
    client: httpx.AsyncClient, trader: Any, problem: Problem, path: str
) -> None:
    assert "NOPE" in problem(await client.get(f"{API}/NOPE/{path}", headers=trader.headers), 404)["detail"]


async def test_surface_has_smiles_with_residuals_and_the_term_structure(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    response = await client.get(f"{API}/AAPL/surface", headers=trader.headers)
    assert response.status_code == 200, response.text
    surface = response.json()
    VolSurface.model_validate(surface)
    assert surface["calendar_free"] is True
    smile = surface["smiles"][0]
    assert smile["params"] == {"a": 0.01, "b": 0.1, "rho": -0.3, "m": 0.0, "sigma": 0.2}
    assert smile["butterfly_free"] is True
    residuals = [point["residual"] for point in smile["points"]]
    assert residuals[:2] == pytest.approx([0.01, 0.01])
    assert smile["points"][2] == {
        "strike": 110.0,
        "log_moneyness": 0.1,
        "market_vol": None,
        "fitted_vol": 0.19,
        "residual": None,
    }
    assert surface["term_structure"] == [
        {"expiry": "2025-03-21", "years": 0.1, "atm_vol": pytest.approx(0.21)},
        {"expiry": "2025-04-17", "years": 0.2, "atm_vol": pytest.approx(0.22)},
    ]


async def test_strategy_of_explicit_legs(client: httpx.AsyncClient, trader: Any, fake_options: Any) -> None:
    body = {
        "name": "my condor",
        "legs": CONDOR_LEGS,
        "market": {"spot": 100, "rate": 0.04},
        "valuation_date": "2025-03-14",
        "elapsed_years": 0.05,
        "spot_shocks": [-0.1, 0, 0.1],
        "vol_shocks": [-0.05, 0, 0.05],
        "diagram_points": 3,
    }
    builds = fake_options.count("BuildStrategy")
    response = await client.post(f"{API}/strategy", json=body, headers=trader.headers)
    assert response.status_code == 200, response.text
    sent = fake_options.last("AnalyzeStrategy").request
    assert fake_options.count("BuildStrategy") == builds
    assert sent.strategy.name == "my condor"
    legs = sent.strategy.legs
    assert [leg.kind for leg in legs] == [
        op.LEG_KIND_PUT,
        op.LEG_KIND_PUT,
        op.LEG_KIND_CALL,
        op.LEG_KIND_CALL,
    ]
    assert [leg.quantity for leg in legs] == [1, -1, -1, 1]
    assert (legs[0].premium, legs[0].strike, legs[0].expiry_years, legs[0].vol) == (0.8, 90, 0.25, 0.3)
    assert (legs[2].expiry, legs[2].expiry_years, legs[3].multiplier, legs[0].multiplier) == (
        _day("2025-06-20"),
        0.0,
        10,
        0,
    )
    assert (sent.market.spot, sent.market.rate, sent.market.dividend_yield) == (100, 0.04, 0)
    assert (sent.valuation_date, sent.elapsed_years, sent.diagram_points) == (_day("2025-03-14"), 0.05, 3)
    assert (list(sent.spot_shocks), list(sent.vol_shocks)) == ([-0.1, 0, 0.1], [-0.05, 0, 0.05])
    analysis = response.json()
    StrategyAnalysis.model_validate(analysis)
    assert (analysis["name"], analysis["symbol"], analysis["cost"]) == ("my condor", None, -120.0)
    assert (analysis["max_profit"], analysis["profit_unlimited"]) == (120.0, False)
    assert (analysis["max_loss"], analysis["loss_unlimited"]) == (-380.0, False)
    assert analysis["breakevens"] == [95.0, 105.0]
    assert analysis["net_greeks"]["rho"] is None
    assert analysis["diagram"] == {
        "spots": [80.0, 100.0, 120.0],
        "at_expiry": [-380.0, 120.0, None],
        "now": [-300.0, 90.0, -300.0],
    }
    assert analysis["scenarios"] == {
        "spot_shocks": [-0.1, 0.0, 0.1],
        "vol_shocks": [-0.05, 0.0, 0.05],
        "pnl": [[0.0, 1.0, 2.0], [10.0, 11.0, 12.0], [20.0, 21.0, None]],
        "horizon_years": 0.05,
    }
    assert analysis["legs"][2] == {
        "kind": "call",
        "quantity": -1.0,
        "premium": 1.5,
        "strike": 105.0,
        "expiry_years": None,
        "expiry": "2025-06-20",
        "vol": 0.22,
        "multiplier": 100,
    }


async def test_strategy_from_a_template_is_built_then_analysed_in_the_built_market(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    body = {
        "symbol": "aapl",
        "template": "iron_condor",
        "strikes": [90, 95, 105, 110],
        "expiries": ["2025-04-17"],
        "contracts": 2,
    }
    response = await client.post(f"{API}/strategy", json=body, headers=trader.headers)
    assert response.status_code == 200, response.text
    build = fake_options.last("BuildStrategy").request
    assert (build.symbol, build.template, list(build.strikes), build.contracts) == (
        "AAPL",
        op.STRATEGY_TEMPLATE_IRON_CONDOR,
        [90, 95, 105, 110],
        2,
    )
    assert list(build.expiries) == [_day("2025-04-17")]
    analyse = fake_options.last("AnalyzeStrategy").request
    assert (analyse.market.spot, analyse.market.rate, analyse.market.dividend_yield) == (100, 0.04, 0.01)
    assert len(analyse.strategy.legs) == 4
    analysis = response.json()
    assert (analysis["symbol"], analysis["name"]) == ("AAPL", "iron condor")
    assert analysis["market"] == {"spot": 100.0, "rate": 0.04, "dividend_yield": 0.01}
    assert [leg["quantity"] for leg in analysis["legs"]] == [2, -2, -2, 2]


async def test_a_short_call_states_its_loss_unlimited(client: httpx.AsyncClient, trader: Any) -> None:
    body = {
        "legs": [
            {"kind": "call", "quantity": -1, "premium": 2, "strike": 100, "expiry_years": 0.5, "vol": 0.2}
        ],
        "market": {"spot": 100},
    }
    analysis = (await client.post(f"{API}/strategy", json=body, headers=trader.headers)).json()
    assert (analysis["max_loss"], analysis["loss_unlimited"]) == (None, True)
    assert (analysis["max_profit"], analysis["profit_unlimited"]) == (120.0, False)


async def test_template_violations_name_the_body(
    client: httpx.AsyncClient, trader: Any, problem: Problem, fake_options: Any
) -> None:
    body = {"symbol": "AAPL", "template": "iron_condor", "strikes": [90, 95], "expiries": ["2025-04-17"]}
    fields = _fields(problem(await client.post(f"{API}/strategy", json=body, headers=trader.headers), 422))
    assert fields == {"body.strikes": "an iron condor takes 4 strikes"}


async def _save(client: httpx.AsyncClient, who: Any, **overrides: Any) -> dict[str, Any]:
    body = {"symbol": "aapl", "name": "condor", "legs": CONDOR_LEGS, "notes": "earnings", **overrides}
    response = await client.post(f"{API}/strategies", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    saved: dict[str, Any] = response.json()
    return saved


async def test_saved_strategies_round_trip(client: httpx.AsyncClient, trader: Any, fake_options: Any) -> None:
    saved = await _save(client, trader)
    SavedStrategy.model_validate(saved)
    sent = fake_options.last("SaveStrategy").request
    assert (sent.id, sent.symbol, sent.strategy.name, sent.notes, len(sent.strategy.legs)) == (
        "",
        "AAPL",
        "condor",
        "earnings",
        4,
    )
    assert (saved["symbol"], saved["name"], saved["notes"], saved["created_at"]) == (
        "AAPL",
        "condor",
        "earnings",
        "2025-03-14T15:42:07Z",
    )
    assert [leg["strike"] for leg in saved["legs"]] == [90, 95, 105, 110]
    url = f"{API}/strategies/{saved['id']}"
    assert (await client.get(url, headers=trader.headers)).json() == saved
    replaced = await client.put(
        url,
        json={"symbol": "AAPL", "legs": [{"kind": "stock", "quantity": 100, "premium": 230}]},
        headers=trader.headers,
    )
    assert replaced.status_code == 200, replaced.text
    assert fake_options.last("SaveStrategy").request.id == saved["id"]
    assert replaced.json()["legs"] == [
        {
            "kind": "stock",
            "quantity": 100.0,
            "premium": 230.0,
            "strike": None,
            "expiry_years": None,
            "expiry": None,
            "vol": None,
            "multiplier": 100,
        }
    ]
    assert (await client.delete(url, headers=trader.headers)).status_code == 204
    assert (await client.get(url, headers=trader.headers)).status_code == 404


async def test_saved_strategies_are_listed_in_pages(
    client: httpx.AsyncClient, sign_in: Callable[..., Any], fake_options: Any
) -> None:
    me = sign_in()
    for name in ("a", "b", "c"):
        await _save(client, me, name=name)
    await _save(client, me, symbol="MSFT", name="m")
    first = await client.get(f"{API}/strategies?limit=2&symbol=aapl", headers=me.headers)
    assert first.status_code == 200, first.text
    page = SavedStrategyPage.model_validate(first.json())
    assert fake_options.last("ListSavedStrategies").request.symbol == "AAPL"
    assert [s.name for s in page.items] == ["a", "b"]
    assert page.next_cursor
    second = await client.get(
        f"{API}/strategies?limit=2&symbol=AAPL&cursor={page.next_cursor}", headers=me.headers
    )
    assert [s["name"] for s in second.json()["items"]] == ["c"]
    assert second.json()["next_cursor"] is None
    everything = (await client.get(f"{API}/strategies", headers=me.headers)).json()
    assert len(everything["items"]) == 4


async def test_another_users_strategy_is_404_everywhere(
    client: httpx.AsyncClient, sign_in: Callable[..., Any], problem: Problem
) -> None:
    owner, stranger = sign_in(), sign_in()
    saved = await _save(client, owner)
    url = f"{API}/strategies/{saved['id']}"
    body = {"symbol": "AAPL", "legs": CONDOR_LEGS}
    problem(await client.get(url, headers=stranger.headers), 404)
    problem(await client.put(url, json=body, headers=stranger.headers), 404)
    problem(await client.delete(url, headers=stranger.headers), 404)
    assert (await client.get(f"{API}/strategies", headers=stranger.headers)).json()["items"] == []
    assert (await client.get(url, headers=owner.headers)).json() == saved
    problem(await client.get(f"{API}/strategies/{uuid.uuid4()}", headers=owner.headers), 404)


async def test_saving_honours_idempotency_key(
    client: httpx.AsyncClient, trader: Any, fake_options: Any, problem: Problem
) -> None:
    headers = {**trader.headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"symbol": "AAPL", "legs": CONDOR_LEGS}
    calls = fake_options.count("SaveStrategy")
    first = await client.post(f"{API}/strategies", json=body, headers=headers)
    second = await client.post(f"{API}/strategies", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert (second.json(), second.headers["idempotent-replayed"]) == (first.json(), "true")
    assert fake_options.count("SaveStrategy") == calls + 1
    other = await client.post(f"{API}/strategies", json={**body, "notes": "x"}, headers=headers)
    assert list(_fields(problem(other, 422))) == ["header.Idempotency-Key"]


async def test_analytics_options_prices_with_every_greek_and_the_implied_vol(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    body = {
        "symbol": "aapl",
        "option_type": "put",
        "spot": 42,
        "strike": 40,
        "years": 0.5,
        "volatility": 0.2,
        "rate": 0.1,
        "market_price": 0.81,
    }
    response = await client.post("/api/v1/analytics/options", json=body, headers=trader.headers)
    assert response.status_code == 200, response.text
    priced = fake_options.last("PriceOptions").request
    assert (list(priced.batch.kind), list(priced.vol), priced.greeks) == (
        [op.OPTION_KIND_PUT],
        [0.2],
        op_pb.GREEKS_WANTED_ALL,
    )
    assert list(fake_options.last("SolveImpliedVols").request.price) == [0.81]
    analysis = response.json()
    OptionAnalysis.model_validate(analysis)
    assert (analysis["symbol"], analysis["option_type"], analysis["price"], analysis["error"]) == (
        "AAPL",
        "put",
        40.0,
        None,
    )
    assert [analysis["greeks"][name] for name in (*FIRST_ORDER, *SECOND_ORDER)] == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        11,
        12,
        13,
        14,
        15,
        16,
    ]
    assert (analysis["implied_volatility"], analysis["implied_volatility_error"]) == (
        pytest.approx(0.0081),
        None,
    )


async def test_analytics_options_american_without_a_market_price(
    client: httpx.AsyncClient, trader: Any, fake_options: Any
) -> None:
    calls = fake_options.count("SolveImpliedVols")
    body = {
        "option_type": "call",
        "spot": 42,
        "strike": 40,
        "expiry": "2025-09-19",
        "valuation_date": "2025-03-14",
        "volatility": 0.2,
        "rate": 0.1,
        "style": "american",
    }
    analysis = (await client.post("/api/v1/analytics/options", json=body, headers=trader.headers)).json()
    priced = fake_options.last("PriceOptions").request
    assert (priced.greeks, list(priced.batch.expiry)) == (
        op_pb.GREEKS_WANTED_FIRST_ORDER,
        [_day("2025-09-19")],
    )
    assert fake_options.count("SolveImpliedVols") == calls
    assert (analysis["greeks"]["vanna"], analysis["greeks"]["delta"]) == (None, 1)
    assert (analysis["implied_volatility"], analysis["symbol"]) == (None, None)
    assert analysis["method"].startswith("fixed point")


async def test_analytics_options_violations_use_its_field_names(
    client: httpx.AsyncClient, trader: Any, fake_options: Any, problem: Problem
) -> None:
    fake_options.fail_next(
        "PriceOptions",
        grpc.StatusCode.INVALID_ARGUMENT,
        "bad",
        violations=[
            FieldViolation("vol", "row 0: must be at most 10 (got 12.0)"),
            FieldViolation("batch.kind", "must be call or put"),
        ],
    )
    body = {"option_type": "call", "spot": 1, "strike": 1, "years": 1, "volatility": 12, "rate": 0}
    fields = _fields(
        problem(await client.post("/api/v1/analytics/options", json=body, headers=trader.headers), 422)
    )
    assert fields == {
        "body.volatility": "must be at most 10 (got 12.0)",
        "body.option_type": "must be call or put",
    }
