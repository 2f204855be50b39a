"""The options converters' edge cases: service violations by row, short or NaN reply columns."""

from __future__ import annotations

import math

import orjson

from eqr.options.v1 import options_service_pb2 as pb
from eqr.options.v1 import resources_pb2 as res
from eqr_gateway.convert_options import priced_json, rows_named
from eqr_gateway.convert_options_strategy import analysis_json, leg_doc
from eqr_gateway.problems import FieldError, ProblemError
from eqr_gateway.schemas.options import PricedOption


def _problem(*errors: tuple[str, str]) -> ProblemError:
    return ProblemError(
        422, "bad", errors=[FieldError(field=f, message=m) for f, m in errors], headers={"X": "1"}
    )


def _named(problem: ProblemError) -> list[tuple[str, str]]:
    return [(error.field, error.message) for error in problem.errors]


ROWS = [PricedOption(kind="call", strike=1.0, years=1.0), PricedOption(kind="put", strike=2.0, years=1.0)]


def test_rows_named_renames_row_violations_of_columns_only() -> None:
    problem = _problem(
        ("body.spot", "row 12: must be above 0"),
        ("body.dividends", "row 1: ex-date after expiry"),
        ("body.rate", "must be within ±100%"),
    )
    named = rows_named(problem, ROWS)
    assert _named(named) == [
        ("body.options[12].spot", "must be above 0"),
        ("body.dividends", "row 1: ex-date after expiry"),
        ("body.rate", "must be within ±100%"),
    ]
    assert (named.status, named.headers, named.detail) == (
        422,
        {"X": "1"},
        "3 fields are invalid; see errors.",
    )


def test_a_single_rows_own_value_is_named_by_row_a_default_is_not() -> None:
    problem = _problem(("body.rate", "must be within ±100%"), ("body.spot", "must be above 0"))
    row = PricedOption(kind="call", spot=5.0, strike=1.0, years=1.0)
    assert _named(rows_named(problem, [row])) == [
        ("body.rate", "must be within ±100%"),
        ("body.options[0].spot", "must be above 0"),
    ]


def test_a_single_option_loses_the_row() -> None:
    problem = _problem(("body.volatility", "row 0: too high"), ("body.rate", "too high"))
    assert _named(rows_named(problem, None)) == [("body.volatility", "too high"), ("body.rate", "too high")]


def test_rows_named_leaves_other_problems_alone() -> None:
    for problem in (ProblemError(404, "unknown symbol"), ProblemError(422, "no fields")):
        assert rows_named(problem, ROWS) is problem


def test_short_and_non_finite_reply_columns_become_null() -> None:
    response = pb.PriceOptionsResponse(price=[1.0, math.inf, math.nan])
    response.greeks.delta.extend([0.5])
    document = orjson.loads(
        priced_json(response, 4, model="bsm", style="european", first_order=True, second_order=False)
    )
    assert [row["price"] for row in document["results"]] == [1.0, None, None, None]
    assert [row["delta"] for row in document["results"]] == [0.5, None, None, None]
    assert document["results"][0]["gamma"] is None


def test_an_analysis_without_vol_shocks_has_an_empty_grid_and_unset_extremes_are_null() -> None:
    analysis = res.StrategyAnalysis(spot_shocks=[0.1], scenario_pnl=[], breakevens=[math.nan, 101.0])
    document = orjson.loads(analysis_json(analysis, res.Strategy(), res.StrategyMarket(spot=1), None))
    assert document["scenarios"]["pnl"] == []
    assert (document["max_profit"], document["max_loss"]) == (None, None)
    assert document["breakevens"] == [101.0]


def test_a_stock_leg_has_no_option_terms() -> None:
    leg = res.StrategyLeg(kind=res.LEG_KIND_STOCK, quantity=100, strike=5, expiry_years=1, vol=0.2)
    assert leg_doc(leg) == {
        "kind": "stock",
        "quantity": 100.0,
        "premium": 0.0,
        "strike": None,
        "expiry_years": None,
        "expiry": None,
        "vol": None,
        "multiplier": 100,
    }
