"""Strategies protobuf <-> REST: legs, the analysis (rendered with orjson: a diagram of 201
points and a scenario grid), templates, and saved strategies.

A leg's unset proto fields read as null (a stock leg has no strike, expiry or vol); the
scenario grid's row-major column becomes a 2-D list; NaN and ±inf become null.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson

from eqr.options.v1 import options_service_pb2 as pb
from eqr.options.v1 import resources_pb2 as res
from eqr_gateway.convert import required_time
from eqr_gateway.convert_options import Document, day, figure
from eqr_gateway.problems import FieldError
from eqr_gateway.schemas.options_strategy import LegIn, LegKind, StrategyRequest, StrategyTemplate
from eqr_platform.protobuf import date_pb

LEG_KIND_TO_PB: dict[LegKind, res.LegKind.ValueType] = {
    "call": res.LEG_KIND_CALL,
    "put": res.LEG_KIND_PUT,
    "stock": res.LEG_KIND_STOCK,
}
_LEG_KINDS = {value: name for name, value in LEG_KIND_TO_PB.items()}
TEMPLATE_TO_PB: dict[StrategyTemplate, res.StrategyTemplate.ValueType] = {
    "covered_call": res.STRATEGY_TEMPLATE_COVERED_CALL,
    "protective_put": res.STRATEGY_TEMPLATE_PROTECTIVE_PUT,
    "bull_call_spread": res.STRATEGY_TEMPLATE_BULL_CALL_SPREAD,
    "bear_put_spread": res.STRATEGY_TEMPLATE_BEAR_PUT_SPREAD,
    "straddle": res.STRATEGY_TEMPLATE_STRADDLE,
    "strangle": res.STRATEGY_TEMPLATE_STRANGLE,
    "butterfly": res.STRATEGY_TEMPLATE_BUTTERFLY,
    "iron_condor": res.STRATEGY_TEMPLATE_IRON_CONDOR,
    "calendar": res.STRATEGY_TEMPLATE_CALENDAR,
}
DEFAULT_MULTIPLIER = 100
_JSON_OPTIONS = orjson.OPT_UTC_Z


# --- REST -> protobuf ---------------------------------------------------------------------


def legs_problems(legs: Sequence[LegIn], prefix: str = "body.legs") -> list[FieldError]:
    """What the schema cannot say alone: an option leg's strike and one expiry, a stock leg's
    price; no zero quantity."""
    errors = []
    for index, leg in enumerate(legs):
        at = f"{prefix}[{index}]"
        if leg.quantity == 0:
            errors.append(FieldError(field=f"{at}.quantity", message="must not be 0"))
        if leg.kind == "stock":
            given = [
                name for name in ("strike", "expiry_years", "expiry", "vol") if getattr(leg, name) is not None
            ]
            errors += [FieldError(field=f"{at}.{name}", message="a stock leg has none") for name in given]
            if leg.premium == 0:
                errors.append(
                    FieldError(field=f"{at}.premium", message="a stock leg's premium is its share price")
                )
            continue
        if leg.strike is None:
            errors.append(FieldError(field=f"{at}.strike", message="an option leg needs a strike"))
        if (leg.expiry_years is None) == (leg.expiry is None):
            message = (
                "give expiry_years or expiry, not both"
                if leg.expiry is not None
                else "give expiry_years or expiry"
            )
            errors.append(FieldError(field=f"{at}.expiry", message=message))
    return errors


def strategy_request_problems(body: StrategyRequest) -> list[FieldError]:
    """Explicit legs with a market, or a template with a symbol: one or the other."""
    if body.legs is not None:
        errors = legs_problems(body.legs)
        if body.template is not None:
            errors.append(FieldError(field="body.template", message="give legs or a template, not both"))
        if body.market is None:
            errors.append(
                FieldError(field="body.market", message="legs are analysed in a market: give its spot")
            )
        return errors
    if body.template is None:
        return [FieldError(field="body.legs", message="give legs (with a market) or a symbol and a template")]
    errors = []
    if body.symbol is None:
        errors.append(FieldError(field="body.symbol", message="a template is built on a symbol's chain"))
    if not body.strikes:
        errors.append(FieldError(field="body.strikes", message="the template's strikes, in increasing order"))
    if body.market is not None:
        errors.append(FieldError(field="body.market", message="a template takes its market from the chain"))
    return errors


def leg_pb(leg: LegIn) -> res.StrategyLeg:
    message = res.StrategyLeg(
        kind=LEG_KIND_TO_PB[leg.kind],
        quantity=leg.quantity,
        premium=leg.premium,
        strike=leg.strike or 0.0,
        expiry_years=leg.expiry_years or 0.0,
        vol=leg.vol or 0.0,
        multiplier=leg.multiplier or 0,
    )
    if leg.expiry is not None:
        message.expiry.CopyFrom(date_pb(leg.expiry))
    return message


def strategy_pb(name: str, legs: Iterable[LegIn]) -> res.Strategy:
    return res.Strategy(name=name, legs=[leg_pb(leg) for leg in legs])


def analyze_request_pb(
    body: StrategyRequest, strategy: res.Strategy, market: res.StrategyMarket
) -> pb.AnalyzeStrategyRequest:
    request = pb.AnalyzeStrategyRequest(
        strategy=strategy,
        market=market,
        elapsed_years=body.elapsed_years,
        spot_shocks=body.spot_shocks,
        vol_shocks=body.vol_shocks,
        diagram_points=body.diagram_points or 0,
    )
    if body.valuation_date is not None:
        request.valuation_date.CopyFrom(date_pb(body.valuation_date))
    return request


def build_request_pb(body: StrategyRequest) -> pb.BuildStrategyRequest:
    # strategy_request_problems made sure of both.
    assert body.symbol is not None
    assert body.template is not None
    return pb.BuildStrategyRequest(
        symbol=body.symbol,
        template=TEMPLATE_TO_PB[body.template],
        strikes=body.strikes,
        expiries=[date_pb(expiry) for expiry in body.expiries],
        contracts=body.contracts,
    )


# --- protobuf -> REST ---------------------------------------------------------------------


def leg_doc(leg: res.StrategyLeg) -> Document:
    option = leg.kind != res.LEG_KIND_STOCK
    return {
        "kind": _LEG_KINDS.get(leg.kind, "stock"),
        "quantity": leg.quantity,
        "premium": leg.premium,
        "strike": leg.strike if option else None,
        "expiry_years": leg.expiry_years if option and leg.expiry_years else None,
        "expiry": day(leg.expiry) if option and leg.HasField("expiry") and leg.expiry.year else None,
        "vol": leg.vol if option and leg.vol else None,
        "multiplier": leg.multiplier or DEFAULT_MULTIPLIER,
    }


def _figures(values: Iterable[float]) -> list[float | None]:
    return [figure(value) for value in values]


def _grid(analysis: res.StrategyAnalysis) -> list[list[float | None]]:
    """The row-major scenario P&L as rows of spot shocks, columns of vol shocks."""
    width = len(analysis.vol_shocks)
    flat = _figures(analysis.scenario_pnl)
    return [flat[start : start + width] for start in range(0, len(flat), width)] if width else []


def analysis_json(
    analysis: res.StrategyAnalysis, strategy: res.Strategy, market: res.StrategyMarket, symbol: str | None
) -> bytes:
    greeks = analysis.net_greeks
    document = {
        "name": strategy.name,
        "symbol": symbol,
        "legs": [leg_doc(leg) for leg in strategy.legs],
        "market": {"spot": market.spot, "rate": market.rate, "dividend_yield": market.dividend_yield},
        "cost": analysis.cost,
        "horizon_years": analysis.horizon_years,
        "breakevens": [value for value in analysis.breakevens if figure(value) is not None],
        "max_profit": figure(analysis.max_profit)
        if analysis.HasField("max_profit") and not analysis.profit_unlimited
        else None,
        "profit_unlimited": analysis.profit_unlimited,
        "max_loss": figure(analysis.max_loss)
        if analysis.HasField("max_loss") and not analysis.loss_unlimited
        else None,
        "loss_unlimited": analysis.loss_unlimited,
        "probability_of_profit": figure(analysis.probability_of_profit),
        "net_greeks": {
            "delta": figure(greeks.delta),
            "gamma": figure(greeks.gamma),
            "vega": figure(greeks.vega),
            "theta_per_day": figure(greeks.theta_per_day),
            "rho": figure(greeks.rho),
        },
        "diagram": {
            "spots": list(analysis.diagram_spots),
            "at_expiry": _figures(analysis.diagram_at_expiry),
            "now": _figures(analysis.diagram_now),
        },
        "scenarios": {
            "spot_shocks": list(analysis.spot_shocks),
            "vol_shocks": list(analysis.vol_shocks),
            "pnl": _grid(analysis),
            "horizon_years": analysis.horizon_pnl_years,
        },
    }
    return orjson.dumps(document, option=_JSON_OPTIONS)


def saved_doc(saved: pb.SavedStrategy) -> Document:
    return {
        "id": saved.id,
        "symbol": saved.symbol,
        "name": saved.strategy.name,
        "legs": [leg_doc(leg) for leg in saved.strategy.legs],
        "notes": saved.notes,
        "created_at": required_time(saved, "created_at"),
        "updated_at": required_time(saved, "updated_at"),
    }
