"""Options protobuf <-> REST for pricing, Greeks, implied vols, chains and surfaces.

In: a batch's rows become the columns of an ``OptionBatch``; a field every row leaves to the
top-level default travels as that one value (the service reads one value as every row's).
Out: the replies are rendered here with orjson and sent as bytes, as the market hot paths are
(``convert_market``): 10,000 priced rows or a 2,000-contract chain skip building models. A
double the model has no value for (NaN, ±inf) becomes null: JSON never carries NaN.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import orjson

from eqr.common.v1 import date_pb2
from eqr.options.v1 import options_service_pb2 as pb
from eqr.options.v1 import resources_pb2 as res
from eqr_gateway.convert import required_time
from eqr_gateway.problems import FieldError, ProblemError, validation_problem
from eqr_gateway.schemas.options import (
    ExerciseStyle,
    OptionAnalysisRequest,
    OptionBatch,
    OptionKind,
    OptionRow,
    PricingModel,
    QuotedOption,
)
from eqr_platform.protobuf import date_pb

Document = dict[str, Any]

KIND_TO_PB: dict[OptionKind, res.OptionKind.ValueType] = {
    "call": res.OPTION_KIND_CALL,
    "put": res.OPTION_KIND_PUT,
}
MODEL_TO_PB: dict[PricingModel, res.PricingModel.ValueType] = {
    "bsm": res.PRICING_MODEL_BSM,
    "black76": res.PRICING_MODEL_BLACK76,
}
STYLE_TO_PB: dict[ExerciseStyle, res.ExerciseStyle.ValueType] = {
    "european": res.EXERCISE_STYLE_EUROPEAN,
    "american": res.EXERCISE_STYLE_AMERICAN,
}
FIRST_ORDER = ("delta", "gamma", "vega", "theta", "theta_per_day", "rho", "dividend_rho")
SECOND_ORDER = ("vanna", "volga", "charm", "speed", "zomma", "colour")
ROWS_FIELD = "body.options"
# The columns a service violation may name with "row N: ..." (the batch's and the request's).
_ROW_COLUMNS = frozenset(
    {"kind", "spot", "strike", "years", "expiry", "rate", "dividend_yield", "vol", "price"}
)
_ROW_MESSAGE = re.compile(r"row (\d+): (.*)", re.DOTALL)
_JSON_OPTIONS = orjson.OPT_UTC_Z


def figure(value: float) -> float | None:
    """A double as JSON: null where the model has no value (NaN, ±inf)."""
    return value if math.isfinite(value) else None


def day(value: date_pb2.Date) -> date:
    return date(value.year, value.month, value.day)


# --- REST -> protobuf ---------------------------------------------------------------------


def _row_field(row: int, name: str) -> str:
    return f"{ROWS_FIELD}[{row}].{name}"


def _column(
    rows: Sequence[OptionRow], name: str, default: float | None, errors: list[FieldError]
) -> list[float]:
    """One value per row; the default alone when no row has its own; a missing value is named."""
    values: list[float | None] = [getattr(row, name) for row in rows]
    if default is not None:
        return (
            [default]
            if all(value is None for value in values)
            else [default if v is None else v for v in values]
        )
    filled = [value for value in values if value is not None]
    if len(filled) < len(values):
        missing = values.index(None)
        errors.append(
            FieldError(field=_row_field(missing, name), message=f"give {name} here or at the top level")
        )
    return filled


def _times(rows: Sequence[OptionRow], errors: list[FieldError]) -> tuple[list[float], list[date]]:
    """Every row's ``years``, or every row's ``expiry``: the service reads one column or the other."""
    by_years = rows[0].years is not None
    for index, row in enumerate(rows):
        if row.years is not None and row.expiry is not None:
            errors.append(
                FieldError(field=_row_field(index, "expiry"), message="give years or expiry, not both")
            )
            break
        if row.years is None and row.expiry is None:
            errors.append(FieldError(field=_row_field(index, "years"), message="give years or expiry"))
            break
        if (row.years is not None) != by_years:
            name = "years" if by_years else "expiry"
            errors.append(
                FieldError(field=_row_field(index, name), message=f"give {name} in every row, as row 0 does")
            )
            break
    if errors:
        return [], []
    if by_years:
        return [row.years for row in rows if row.years is not None], []
    return [], [row.expiry for row in rows if row.expiry is not None]


def option_batch_pb(
    body: OptionBatch, rows: Sequence[OptionRow], errors: list[FieldError]
) -> res.OptionBatch:
    """The rows as columns; a value neither the row nor the top level gives goes into ``errors``."""
    years, expiries = _times(rows, errors)
    batch = res.OptionBatch(
        model=MODEL_TO_PB[body.model],
        style=STYLE_TO_PB[body.style],
        kind=[KIND_TO_PB[row.kind] for row in rows],
        spot=_column(rows, "spot", body.spot, errors),
        strike=[row.strike for row in rows],
        years=years,
        expiry=[date_pb(expiry) for expiry in expiries],
        rate=_column(rows, "rate", body.rate, errors),
        dividend_yield=_column(
            rows, "dividend_yield", 0.0 if body.dividend_yield is None else body.dividend_yield, errors
        ),
        dividends=[res.CashDividend(years=d.years, amount=d.amount) for d in body.dividends],
    )
    if body.valuation_date is not None:
        batch.valuation_date.CopyFrom(date_pb(body.valuation_date))
    return batch


def price_request_pb(
    body: OptionBatch, rows: Sequence[OptionRow], vol: float | None, greeks: pb.GreeksWanted.ValueType
) -> pb.PriceOptionsRequest:
    errors: list[FieldError] = []
    batch = option_batch_pb(body, rows, errors)
    vols = _column(rows, "vol", vol, errors)
    if errors:
        raise validation_problem(errors)
    return pb.PriceOptionsRequest(batch=batch, vol=vols, greeks=greeks)


def implied_vol_request_pb(body: OptionBatch, rows: Sequence[QuotedOption]) -> pb.SolveImpliedVolsRequest:
    errors: list[FieldError] = []
    batch = option_batch_pb(body, rows, errors)
    if errors:
        raise validation_problem(errors)
    return pb.SolveImpliedVolsRequest(batch=batch, price=[row.price for row in rows])


def single_batch_pb(body: OptionAnalysisRequest) -> res.OptionBatch:
    """The one option of ``POST /analytics/options`` as a batch of one row."""
    if (body.years is None) == (body.expiry is None):
        message = "give years or expiry, not both" if body.years is not None else "give years or expiry"
        raise validation_problem([FieldError(field="body.years", message=message)])
    batch = res.OptionBatch(
        model=MODEL_TO_PB[body.model],
        style=STYLE_TO_PB[body.style],
        kind=[KIND_TO_PB[body.option_type]],
        spot=[body.spot],
        strike=[body.strike],
        years=[body.years] if body.years is not None else [],
        expiry=[date_pb(body.expiry)] if body.expiry is not None else [],
        rate=[body.rate],
        dividend_yield=[body.dividend_yield],
    )
    if body.valuation_date is not None:
        batch.valuation_date.CopyFrom(date_pb(body.valuation_date))
    return batch


def _row_of(error: FieldError, rows: Sequence[OptionRow]) -> tuple[str, str] | None:
    """The row and message of a violation on a batch column, or None when it is not one.

    The service names the row ("row 3: ...") when the column had a value per row; one value
    stands for every row, so with a single row it names none: the row's own value is at fault,
    unless the row left it to the top level."""
    column = error.field.removeprefix("body.")
    if column not in _ROW_COLUMNS:
        return None
    match = _ROW_MESSAGE.fullmatch(error.message)
    if match is not None:
        return match[1], match[2]
    if len(rows) == 1 and getattr(rows[0], column, None) is not None:
        return "0", error.message
    return None


def rows_named(problem: ProblemError, rows: Sequence[OptionRow] | None) -> ProblemError:
    """The service's "row 3: must be above 0" on a column as the field of that row
    (``body.options[3].spot``); for a single option (``rows`` None) the row is dropped."""
    if problem.status != 422 or not problem.errors:
        return problem
    renamed = []
    for error in problem.errors:
        if rows is None:
            match = _ROW_MESSAGE.fullmatch(error.message)
            renamed.append(FieldError(field=error.field, message=match[2]) if match else error)
        elif (found := _row_of(error, rows)) is not None:
            row, message = found
            column = error.field.removeprefix("body.")
            renamed.append(FieldError(field=f"{ROWS_FIELD}[{row}].{column}", message=message))
        else:
            renamed.append(error)
    named = validation_problem(renamed)
    named.headers = problem.headers
    return named


# --- protobuf -> REST ---------------------------------------------------------------------


def _values(values: Iterable[float], rows: int) -> list[float | None]:
    """A reply column as JSON values, exactly ``rows`` long (null where the service sent none)."""
    out = [value if math.isfinite(value) else None for value in values][:rows]
    return out + [None] * (rows - len(out))


def _row_errors(errors: Iterable[res.RowError]) -> dict[int, Document]:
    return {error.row: {"field": error.field, "reason": error.reason} for error in errors}


def _results(columns: dict[str, list[float | None]], errors: dict[int, Document]) -> list[Document]:
    """Rows from columns; a row with an error has every value null."""
    names = list(columns)
    empty = dict.fromkeys(names)
    results = []
    for index, values in enumerate(zip(*columns.values(), strict=True)):
        error = errors.get(index)
        row: Document = dict(zip(names, values, strict=True)) if error is None else dict(empty)
        row["error"] = error
        results.append(row)
    return results


def price_columns(
    response: pb.PriceOptionsResponse, rows: int, *, first_order: bool, second_order: bool
) -> dict[str, list[float | None]]:
    columns = {"price": _values(response.price, rows)}
    if first_order:
        columns |= {name: _values(getattr(response.greeks, name), rows) for name in FIRST_ORDER}
    if second_order:
        columns |= {name: _values(getattr(response.higher_greeks, name), rows) for name in SECOND_ORDER}
    return columns


def priced_json(
    response: pb.PriceOptionsResponse,
    rows: int,
    *,
    model: PricingModel,
    style: ExerciseStyle,
    first_order: bool,
    second_order: bool,
) -> bytes:
    columns = price_columns(response, rows, first_order=first_order, second_order=second_order)
    document = {
        "model": model,
        "style": style,
        "method": response.method or None,
        "results": _results(columns, _row_errors(response.errors)),
    }
    return orjson.dumps(document, option=_JSON_OPTIONS)


def boundaries_json(response: pb.GetExerciseBoundaryResponse) -> bytes:
    results = [{"years": list(b.years), "spot": [figure(s) for s in b.spot]} for b in response.boundaries]
    return orjson.dumps({"results": results}, option=_JSON_OPTIONS)


def implied_vols_json(response: pb.SolveImpliedVolsResponse, rows: int) -> bytes:
    results = _results({"vol": _values(response.vol, rows)}, _row_errors(response.errors))
    return orjson.dumps({"results": results}, option=_JSON_OPTIONS)


def option_analysis_json(
    body: OptionAnalysisRequest,
    priced: pb.PriceOptionsResponse,
    solved: pb.SolveImpliedVolsResponse | None,
) -> bytes:
    [row] = _results(
        price_columns(priced, 1, first_order=True, second_order=True), _row_errors(priced.errors)
    )
    error = row.pop("error")
    price = row.pop("price")
    [iv] = _results({"vol": _values(solved.vol, 1)}, _row_errors(solved.errors)) if solved else [{}]
    document = {
        "symbol": body.symbol,
        "option_type": body.option_type,
        "model": body.model,
        "style": body.style,
        "price": price,
        "greeks": row,
        "error": error,
        "implied_volatility": iv.get("vol"),
        "implied_volatility_error": iv.get("error"),
        "method": priced.method or None,
    }
    return orjson.dumps(document, option=_JSON_OPTIONS)


def _underlying_doc(underlying: res.Underlying) -> Document:
    return {
        "symbol": underlying.symbol,
        "spot": underlying.spot,
        "vol": underlying.vol,
        "rate": underlying.rate,
        "dividend_yield": underlying.dividend_yield,
        "source": underlying.source,
    }


def _quote_doc(contract: res.ChainContract) -> Document:
    return {
        "contract_symbol": contract.contract_symbol,
        "strike": contract.strike,
        "bid": figure(contract.bid),
        "ask": figure(contract.ask),
        "last": figure(contract.last),
        "volume": contract.volume,
        "open_interest": contract.open_interest,
        "iv": figure(contract.iv),
        "iv_error": contract.iv_error or None,
        "delta": figure(contract.delta),
        "gamma": figure(contract.gamma),
        "vega": figure(contract.vega),
        "theta_per_day": figure(contract.theta_per_day),
        "rho": figure(contract.rho),
    }


def chain_json(response: pb.GetChainResponse) -> bytes:
    """Contracts grouped by expiry (nearest first), calls and puts apart, each by strike."""
    groups: dict[date, Document] = {}
    for contract in sorted(response.contracts, key=lambda c: c.strike):
        expiry = day(contract.expiry)
        group = groups.get(expiry)
        if group is None:
            group = groups[expiry] = {"expiry": expiry, "years": contract.years, "calls": [], "puts": []}
        side = "calls" if contract.kind == res.OPTION_KIND_CALL else "puts"
        group[side].append(_quote_doc(contract))
    document = {
        "underlying": _underlying_doc(response.underlying),
        "as_of": required_time(response, "as_of"),
        "expiries": [groups[expiry] for expiry in sorted(groups)],
    }
    return orjson.dumps(document, option=_JSON_OPTIONS)


def _residual(market: float, fitted: float) -> float | None:
    return figure(market - fitted) if math.isfinite(market) and math.isfinite(fitted) else None


def _smile_doc(smile: res.SmileFit) -> Document:
    params = smile.params
    points = [
        {
            "strike": strike,
            "log_moneyness": moneyness,
            "market_vol": figure(market),
            "fitted_vol": figure(fitted),
            "residual": _residual(market, fitted),
        }
        for strike, moneyness, market, fitted in zip(
            smile.strike, smile.log_moneyness, smile.market_vol, smile.fitted_vol, strict=False
        )
    ]
    return {
        "expiry": day(smile.expiry),
        "years": smile.years,
        "params": {"a": params.a, "b": params.b, "rho": params.rho, "m": params.m, "sigma": params.sigma},
        "atm_vol": figure(smile.atm_vol),
        "rms_error": figure(smile.rms_error),
        "butterfly_free": smile.butterfly_free,
        "points": points,
    }


def surface_json(response: pb.GetSurfaceResponse) -> bytes:
    smiles = [_smile_doc(smile) for smile in response.smiles]
    document = {
        "underlying": _underlying_doc(response.underlying),
        "as_of": required_time(response, "as_of"),
        "calendar_free": response.calendar_free,
        "smiles": smiles,
        "term_structure": [
            {"expiry": smile["expiry"], "years": smile["years"], "atm_vol": smile["atm_vol"]}
            for smile in smiles
        ],
    }
    return orjson.dumps(document, option=_JSON_OPTIONS)
