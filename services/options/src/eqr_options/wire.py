"""Protobuf messages <-> the options use cases' values.

Inbound conversions raise ``ValidationFailed`` naming the proto field (and the first row at
fault), so a malformed enum or date is a 422 like any other bad input. A repeated column with
one value becomes a 0-d array: one value for every row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import numpy as np
from google.protobuf.internal.containers import RepeatedScalarFieldContainer

from eqr.common.v1 import date_pb2
from eqr.options.v1 import options_service_pb2 as service_pb
from eqr.options.v1 import resources_pb2 as pb
from eqr_options.app.batches import Batch, Style
from eqr_options.app.chains import QuotedChain
from eqr_options.app.legs import LegSpec
from eqr_options.app.ports import SavedStrategy
from eqr_options.app.positions import Contract, Position, PriceSource, Valuation
from eqr_options.app.pricing import Boundaries, GreeksWanted, Priced, RowError, Solved
from eqr_options.app.saved import Draft
from eqr_options.app.strategies import Analysis, Built, Template
from eqr_options.app.surfaces import FittedSurface
from eqr_options.app.symbols import occ_symbol
from eqr_options.domain.arrays import BoolArray, FloatArray
from eqr_options.domain.errors import ValidationFailed
from eqr_options.domain.inputs import Model
from eqr_options.domain.strategies import LegKind
from eqr_options.domain.strategy_analysis import Market
from eqr_platform.protobuf import date_pb, from_date_pb, timestamp_pb

MODEL = {
    pb.PRICING_MODEL_UNSPECIFIED: Model.BSM,
    pb.PRICING_MODEL_BSM: Model.BSM,
    pb.PRICING_MODEL_BLACK76: Model.BLACK76,
}
STYLE = {
    pb.EXERCISE_STYLE_UNSPECIFIED: Style.EUROPEAN,
    pb.EXERCISE_STYLE_EUROPEAN: Style.EUROPEAN,
    pb.EXERCISE_STYLE_AMERICAN: Style.AMERICAN,
}
GREEKS_WANTED = {
    service_pb.GREEKS_WANTED_UNSPECIFIED: GreeksWanted.FIRST_ORDER,
    service_pb.GREEKS_WANTED_NONE: GreeksWanted.NONE,
    service_pb.GREEKS_WANTED_FIRST_ORDER: GreeksWanted.FIRST_ORDER,
    service_pb.GREEKS_WANTED_ALL: GreeksWanted.ALL,
}
LEG_KIND = {pb.LEG_KIND_CALL: LegKind.CALL, pb.LEG_KIND_PUT: LegKind.PUT, pb.LEG_KIND_STOCK: LegKind.STOCK}
LEG_KIND_PB = {kind: value for value, kind in LEG_KIND.items()}
TEMPLATE = {
    pb.STRATEGY_TEMPLATE_COVERED_CALL: Template.COVERED_CALL,
    pb.STRATEGY_TEMPLATE_PROTECTIVE_PUT: Template.PROTECTIVE_PUT,
    pb.STRATEGY_TEMPLATE_BULL_CALL_SPREAD: Template.BULL_CALL_SPREAD,
    pb.STRATEGY_TEMPLATE_BEAR_PUT_SPREAD: Template.BEAR_PUT_SPREAD,
    pb.STRATEGY_TEMPLATE_STRADDLE: Template.STRADDLE,
    pb.STRATEGY_TEMPLATE_STRANGLE: Template.STRANGLE,
    pb.STRATEGY_TEMPLATE_BUTTERFLY: Template.BUTTERFLY,
    pb.STRATEGY_TEMPLATE_IRON_CONDOR: Template.IRON_CONDOR,
    pb.STRATEGY_TEMPLATE_CALENDAR: Template.CALENDAR,
}
PRICE_SOURCE = {
    PriceSource.CHAIN_MID: pb.OPTION_PRICE_SOURCE_CHAIN_MID,
    PriceSource.MODEL: pb.OPTION_PRICE_SOURCE_MODEL,
    PriceSource.INTRINSIC: pb.OPTION_PRICE_SOURCE_INTRINSIC,
}


E = TypeVar("E")


def _enum(value: int, table: Mapping[Any, E], field: str) -> E:
    try:
        return table[value]
    except KeyError:
        raise ValidationFailed.single(field, f"has an unknown value {value}") from None


# ----------------------------------------------------------------------------------- inbound


def column(values: RepeatedScalarFieldContainer[float] | Sequence[float]) -> FloatArray:
    """A repeated double as a column: 0-d for a single value, empty when absent."""
    array = np.array(values, dtype=np.float64)
    return array.reshape(()) if array.size == 1 else array


def day_from_pb(value: date_pb2.Date, field: str) -> date:
    try:
        return from_date_pb(value)
    except ValueError:
        raise ValidationFailed.single(field, "is not a date") from None


def _days(values: Iterable[date_pb2.Date], field: str) -> tuple[date, ...]:
    days = []
    for row, value in enumerate(values):
        try:
            days.append(from_date_pb(value))
        except ValueError:
            raise ValidationFailed.single(field, f"row {row}: is not a date") from None
    return tuple(days)


def _calls(kinds: Sequence[int]) -> BoolArray:
    codes = np.array(kinds, dtype=np.int64)
    bad = np.flatnonzero((codes != pb.OPTION_KIND_CALL) & (codes != pb.OPTION_KIND_PUT))
    if bad.size:
        raise ValidationFailed.single("kind", f"row {bad[0]}: must be OPTION_KIND_CALL or OPTION_KIND_PUT")
    calls: BoolArray = codes == pb.OPTION_KIND_CALL
    return calls.reshape(()) if calls.size == 1 else calls


def batch_from_pb(message: pb.OptionBatch) -> Batch:
    return Batch(
        model=_enum(message.model, MODEL, "model"),
        style=_enum(message.style, STYLE, "style"),
        is_call=_calls(message.kind),
        spot=column(message.spot),
        strike=column(message.strike),
        years=column(message.years),
        expiry=_days(message.expiry, "expiry"),
        rate=column(message.rate),
        dividend_yield=column(message.dividend_yield),
        dividends=tuple((d.years, d.amount) for d in message.dividends),
        valuation_date=(
            day_from_pb(message.valuation_date, "valuation_date")
            if message.HasField("valuation_date")
            else None
        ),
    )


def greeks_wanted_from_pb(value: int) -> GreeksWanted:
    return _enum(value, GREEKS_WANTED, "greeks")


def template_from_pb(value: int) -> Template:
    return _enum(value, TEMPLATE, "template")


def leg_from_pb(message: pb.StrategyLeg, index: int) -> LegSpec:
    return LegSpec(
        kind=_enum(message.kind, LEG_KIND, f"legs[{index}].kind"),
        quantity=message.quantity,
        premium=message.premium,
        strike=message.strike,
        expiry_years=message.expiry_years,
        expiry=day_from_pb(message.expiry, f"legs[{index}].expiry") if message.HasField("expiry") else None,
        vol=message.vol,
        multiplier=message.multiplier,
    )


def legs_from_pb(message: pb.Strategy) -> tuple[LegSpec, ...]:
    return tuple(leg_from_pb(leg, i) for i, leg in enumerate(message.legs))


def market_from_pb(message: pb.StrategyMarket) -> Market:
    return Market(message.spot, message.rate, message.dividend_yield)


def draft_from_pb(message: service_pb.SaveStrategyRequest) -> Draft:
    return Draft(message.symbol, message.strategy.name, legs_from_pb(message.strategy), message.notes)


def uuid_from_pb(value: str, field: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ValidationFailed.single(field, "must be a UUID") from None


def position_from_pb(message: service_pb.OptionPosition, index: int) -> Position:
    c, where = message.contract, f"positions[{index}].contract"
    kind = _enum(c.kind, {pb.OPTION_KIND_CALL: True, pb.OPTION_KIND_PUT: False}, f"{where}.kind")
    if not c.HasField("expiry"):
        raise ValidationFailed.single(f"{where}.expiry", "is required")
    expiry = day_from_pb(c.expiry, f"{where}.expiry")
    return Position(Contract(c.underlying, expiry, c.strike, kind, c.multiplier), message.quantity)


# ---------------------------------------------------------------------------------- outbound


def _row_errors(errors: Iterable[RowError]) -> list[pb.RowError]:
    return [pb.RowError(row=e.row, field=e.field, reason=e.reason) for e in errors]


def priced_to_pb(priced: Priced) -> service_pb.PriceOptionsResponse:
    response = service_pb.PriceOptionsResponse(
        price=priced.price.tolist(), errors=_row_errors(priced.errors), method=priced.method
    )
    if (g := priced.greeks) is not None:
        response.greeks.CopyFrom(
            pb.Greeks(
                delta=g.delta.tolist(),
                gamma=g.gamma.tolist(),
                vega=g.vega.tolist(),
                theta=g.theta.tolist(),
                theta_per_day=g.theta_per_day.tolist(),
                rho=g.rho.tolist(),
                dividend_rho=g.dividend_rho.tolist(),
            )
        )
    if (h := priced.higher) is not None:
        response.higher_greeks.CopyFrom(
            pb.HigherGreeks(
                vanna=h.vanna.tolist(),
                volga=h.volga.tolist(),
                charm=h.charm.tolist(),
                speed=h.speed.tolist(),
                zomma=h.zomma.tolist(),
                colour=h.colour.tolist(),
            )
        )
    return response


def solved_to_pb(solved: Solved) -> service_pb.SolveImpliedVolsResponse:
    return service_pb.SolveImpliedVolsResponse(vol=solved.vol.tolist(), errors=_row_errors(solved.errors))


def boundaries_to_pb(found: Boundaries) -> service_pb.GetExerciseBoundaryResponse:
    return service_pb.GetExerciseBoundaryResponse(
        boundaries=[
            service_pb.ExerciseBoundary(years=years.tolist(), spot=spot.tolist())
            for years, spot in zip(found.years, found.spot, strict=True)
        ]
    )


def underlying_to_pb(quoted: QuotedChain) -> pb.Underlying:
    u = quoted.underlying
    return pb.Underlying(
        symbol=u.symbol,
        spot=u.spot,
        vol=u.vol,
        rate=u.rate,
        dividend_yield=u.dividend_yield,
        source=quoted.source,
    )


def chain_to_pb(quoted: QuotedChain, expiries: list[date], rows: np.ndarray) -> service_pb.GetChainResponse:
    c, g, iv = quoted.chain, quoted.greeks, quoted.iv
    reasons = iv.reasons()
    symbol = quoted.underlying.symbol
    columns = zip(
        rows.tolist(),
        c.years[rows].tolist(),
        c.strike[rows].tolist(),
        c.is_call[rows].tolist(),
        c.bid[rows].tolist(),
        c.ask[rows].tolist(),
        c.last[rows].tolist(),
        c.volume[rows].tolist(),
        c.open_interest[rows].tolist(),
        iv.vol[rows].tolist(),
        g.delta[rows].tolist(),
        g.gamma[rows].tolist(),
        g.vega[rows].tolist(),
        g.theta_per_day[rows].tolist(),
        g.rho[rows].tolist(),
        strict=True,
    )
    dates = {e: date_pb(e) for e in set(c.expiry)}
    contracts = [
        pb.ChainContract(
            expiry=dates[c.expiry[row]],
            years=years,
            strike=strike,
            kind=pb.OPTION_KIND_CALL if call else pb.OPTION_KIND_PUT,
            bid=bid,
            ask=ask,
            last=last,
            volume=volume,
            open_interest=interest,
            iv=vol,
            iv_error=reasons[row],
            delta=delta,
            gamma=gamma,
            vega=vega,
            theta_per_day=theta,
            rho=rho,
            contract_symbol=occ_symbol(symbol, c.expiry[row], call, strike),
        )
        for (
            row,
            years,
            strike,
            call,
            bid,
            ask,
            last,
            volume,
            interest,
            vol,
            delta,
            gamma,
            vega,
            theta,
            rho,
        ) in (columns)
    ]
    return service_pb.GetChainResponse(
        underlying=underlying_to_pb(quoted),
        as_of=timestamp_pb(quoted.as_of),
        expiries=[date_pb(e) for e in expiries],
        contracts=contracts,
    )


def surface_to_pb(quoted: QuotedChain, surface: FittedSurface) -> service_pb.GetSurfaceResponse:
    smiles = []
    for smile in surface.smiles:
        fit, p = smile.fit, smile.fit.params
        smiles.append(
            pb.SmileFit(
                expiry=date_pb(smile.expiry),
                years=fit.years,
                params=pb.SviParams(a=p.a, b=p.b, rho=p.rho, m=p.m, sigma=p.sigma),
                atm_vol=float(p.implied_vol(np.array([0.0]), fit.years)[0]),
                rms_error=fit.rms_error,
                butterfly_free=fit.butterfly_free,
                log_moneyness=fit.log_moneyness.tolist(),
                strike=smile.strike.tolist(),
                market_vol=fit.market_vol.tolist(),
                fitted_vol=fit.fitted_vol.tolist(),
            )
        )
    return service_pb.GetSurfaceResponse(
        underlying=underlying_to_pb(quoted),
        as_of=timestamp_pb(quoted.as_of),
        smiles=smiles,
        calendar_free=surface.calendar_free,
    )


def analysis_to_pb(a: Analysis) -> pb.StrategyAnalysis:
    g = a.net_greeks
    message = pb.StrategyAnalysis(
        cost=a.cost,
        horizon_years=a.horizon_years,
        breakevens=a.breakevens,
        profit_unlimited=a.max_profit == np.inf,
        loss_unlimited=a.max_loss == -np.inf,
        probability_of_profit=a.probability_of_profit,
        net_greeks=pb.StrategyGreeks(
            delta=float(g.delta[0]),
            gamma=float(g.gamma[0]),
            vega=float(g.vega[0]),
            theta_per_day=float(g.theta_per_day[0]),
            rho=float(g.rho[0]),
        ),
        diagram_spots=a.diagram.spots.tolist(),
        diagram_at_expiry=a.diagram.at_expiry.tolist(),
        diagram_now=a.diagram.now.tolist(),
        spot_shocks=a.spot_shocks.tolist(),
        vol_shocks=a.vol_shocks.tolist(),
        scenario_pnl=a.scenario_pnl.ravel().tolist(),
        horizon_pnl_years=a.elapsed_years,
    )
    if a.max_profit != np.inf:
        message.max_profit = a.max_profit
    if a.max_loss != -np.inf:
        message.max_loss = a.max_loss
    return message


def leg_to_pb(leg: LegSpec) -> pb.StrategyLeg:
    message = pb.StrategyLeg(
        kind=LEG_KIND_PB[leg.kind],
        quantity=leg.quantity,
        premium=leg.premium,
        strike=leg.strike,
        expiry_years=leg.expiry_years,
        vol=leg.vol,
        multiplier=leg.multiplier,
    )
    if leg.expiry is not None:
        message.expiry.CopyFrom(date_pb(leg.expiry))
    return message


def strategy_to_pb(name: str, legs: Iterable[LegSpec]) -> pb.Strategy:
    return pb.Strategy(name=name, legs=[leg_to_pb(leg) for leg in legs])


def built_to_pb(built: Built) -> service_pb.BuildStrategyResponse:
    m = built.market
    return service_pb.BuildStrategyResponse(
        strategy=strategy_to_pb(built.name, built.legs),
        market=pb.StrategyMarket(spot=m.spot, rate=m.rate, dividend_yield=m.dividend_yield),
    )


def saved_to_pb(saved: SavedStrategy) -> service_pb.SavedStrategy:
    return service_pb.SavedStrategy(
        id=str(saved.id),
        symbol=saved.symbol,
        strategy=strategy_to_pb(saved.name, saved.legs),
        notes=saved.notes,
        created_at=timestamp_pb(saved.created_at),
        updated_at=timestamp_pb(saved.updated_at),
    )


def valuation_to_pb(v: Valuation) -> pb.OptionValuation:
    c = v.position.contract
    return pb.OptionValuation(
        contract=pb.OptionContract(
            underlying=c.underlying,
            expiry=date_pb(c.expiry),
            strike=c.strike,
            kind=pb.OPTION_KIND_CALL if c.is_call else pb.OPTION_KIND_PUT,
            multiplier=c.multiplier,
        ),
        quantity=v.position.quantity,
        price=v.price,
        price_source=PRICE_SOURCE[v.source],
        underlying_price=v.underlying_price,
        iv=v.iv,
        delta=v.delta,
        gamma=v.gamma,
        dollar_delta=v.dollar_delta,
        dollar_gamma=v.dollar_gamma,
        vega_per_point=v.vega_per_point,
        theta_per_day=v.theta_per_day,
        expired=v.expired,
        previous_price=v.previous_price,
    )
