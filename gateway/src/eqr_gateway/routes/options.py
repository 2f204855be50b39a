"""Option pricing, Greeks and implied vols in batches, chains and surfaces: /api/v1/options,
and the seed's one-option calculator /api/v1/analytics/options.

Batches are lists of rows (at most ``GATEWAY_OPTIONS_MAX_ROWS``) answered by rows in the same
order; a row the model cannot price or solve has its values null and an ``error``. The
service's "row 3: ..." violations come back naming that row's field (``body.options[3].spot``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Response

from eqr.options.v1 import options_service_pb2 as pb
from eqr_gateway.clients import OptionsClient, UserOptions
from eqr_gateway.convert_options import (
    ROWS_FIELD,
    boundaries_json,
    chain_json,
    implied_vol_request_pb,
    implied_vols_json,
    option_analysis_json,
    price_request_pb,
    priced_json,
    rows_named,
    single_batch_pb,
    surface_json,
)
from eqr_gateway.grpc_calls import BODY_FIELDS, FieldMap
from eqr_gateway.openapi import problem_responses
from eqr_gateway.problems import ProblemError, invalid_field
from eqr_gateway.schemas.market import SymbolPath
from eqr_gateway.schemas.options import (
    ExerciseBoundaryRequest,
    ExerciseBoundaryResponse,
    GreeksRequest,
    GreeksResponse,
    ImpliedVolRequest,
    ImpliedVolResponse,
    OptionAnalysis,
    OptionAnalysisRequest,
    OptionChain,
    OptionRow,
    PriceRequest,
    PriceResponse,
    VolSurface,
)
from eqr_gateway.schemas.portfolio_fields import Day
from eqr_platform.protobuf import date_pb

router = APIRouter(prefix="/api/v1", tags=["options"])

API = "/api/v1"
PRICE_PATH = f"{API}/options/price"
GREEKS_PATH = f"{API}/options/greeks"
IMPLIED_VOL_PATH = f"{API}/options/implied-vol"
BATCH_PATHS = (PRICE_PATH, GREEKS_PATH, IMPLIED_VOL_PATH, f"{API}/options/exercise-boundary")
MAX_EXPIRIES = 60
_JSON = "application/json"
_READ_ERRORS = problem_responses(401, 404, 422, 429, 503)
_BATCH_ERRORS = problem_responses(400, 401, 413, 422, 429, 503)
_SYMBOL_FIELDS: FieldMap = (("symbol", "path.symbol"), ("expiries", "query.expiry"), ("", "query."))
_BATCH_FIELDS: FieldMap = (("batch.", "body."), ("greeks", "body.second_order"), *BODY_FIELDS)
# The one option of /analytics/options: the service's column names read as its fields.
_ANALYSIS_FIELDS: FieldMap = (
    ("batch.kind", "body.option_type"),
    ("vol", "body.volatility"),
    ("price", "body.market_price"),
    ("greeks", "body.style"),
    *_BATCH_FIELDS,
)


def _check_rows(options: OptionsClient, rows: int) -> None:
    if rows > options.max_rows:
        raise invalid_field(ROWS_FIELD, f"at most {options.max_rows} rows per request, got {rows}")


async def _price(
    options: OptionsClient, request: pb.PriceOptionsRequest, rows: Sequence[OptionRow] | None
) -> pb.PriceOptionsResponse:
    """Prices ``rows`` (None: the one option of /analytics/options), violations named by row."""
    fields = _ANALYSIS_FIELDS if rows is None else _BATCH_FIELDS
    try:
        return await options.upstream.call(options.stub.PriceOptions, request, fields=fields)
    except ProblemError as problem:
        raise rows_named(problem, rows) from None


async def _solve(
    options: OptionsClient, request: pb.SolveImpliedVolsRequest, rows: Sequence[OptionRow] | None
) -> pb.SolveImpliedVolsResponse:
    fields = _ANALYSIS_FIELDS if rows is None else _BATCH_FIELDS
    try:
        return await options.upstream.call(options.stub.SolveImpliedVols, request, fields=fields)
    except ProblemError as problem:
        raise rows_named(problem, rows) from None


@router.get(
    "/options/{symbol}/chain",
    summary="The listed options of a symbol, by expiry",
    description=(
        "Every listed expiry (or only those given as `expiry`, repeatable), each with its calls "
        "and its puts by strike: quote, volume, open interest, implied vol of the mid and Greeks."
    ),
    response_model=OptionChain,
    responses=_READ_ERRORS,
)
async def get_chain(
    symbol: SymbolPath,
    options: UserOptions,
    expiry: Annotated[
        list[Day] | None,
        Query(max_length=MAX_EXPIRIES, description="Only these expiries (YYYY-MM-DD); repeatable."),
    ] = None,
) -> Response:
    request = pb.GetChainRequest(symbol=symbol, expiries=[date_pb(day) for day in expiry or ()])
    response = await options.upstream.call(options.stub.GetChain, request, fields=_SYMBOL_FIELDS)
    return Response(chain_json(response), media_type=_JSON)


@router.get(
    "/options/{symbol}/surface",
    summary="The implied volatility surface of a symbol",
    description=(
        "An SVI smile fitted per expiry with its parameters, every point's market and fitted vol "
        "and residual, and whether it is free of butterfly arbitrage; the ATM term structure; "
        "whether the whole surface is free of calendar arbitrage."
    ),
    response_model=VolSurface,
    responses=_READ_ERRORS,
)
async def get_surface(symbol: SymbolPath, options: UserOptions) -> Response:
    request = pb.GetSurfaceRequest(symbol=symbol)
    response = await options.upstream.call(options.stub.GetSurface, request, fields=_SYMBOL_FIELDS)
    return Response(surface_json(response), media_type=_JSON)


@router.post(
    "/options/price",
    summary="Price a batch of options",
    description="European by the closed form; american by the method named in `method`.",
    response_model=PriceResponse,
    responses=_BATCH_ERRORS,
)
async def price(body: PriceRequest, options: UserOptions) -> Response:
    _check_rows(options, len(body.options))
    request = price_request_pb(body, body.options, body.vol, pb.GREEKS_WANTED_NONE)
    response = await _price(options, request, body.options)
    rows = len(body.options)
    content = priced_json(
        response, rows, model=body.model, style=body.style, first_order=False, second_order=False
    )
    return Response(content, media_type=_JSON)


@router.post(
    "/options/greeks",
    summary="Price a batch of options with their Greeks",
    description="First-order Greeks; `second_order: true` adds vanna, volga, charm, speed, zomma and colour.",
    response_model=GreeksResponse,
    responses=_BATCH_ERRORS,
)
async def greeks(body: GreeksRequest, options: UserOptions) -> Response:
    _check_rows(options, len(body.options))
    wanted = pb.GREEKS_WANTED_ALL if body.second_order else pb.GREEKS_WANTED_FIRST_ORDER
    response = await _price(options, price_request_pb(body, body.options, body.vol, wanted), body.options)
    content = priced_json(
        response,
        len(body.options),
        model=body.model,
        style=body.style,
        first_order=True,
        second_order=body.second_order,
    )
    return Response(content, media_type=_JSON)


@router.post(
    "/options/exercise-boundary",
    summary="The early-exercise boundary of American options",
    description=(
        "For each option, the spot below which (a put) or above which (a call) exercising early "
        "beats holding, from the valuation date to expiry (Andersen-Lake-Offengenden)."
    ),
    response_model=ExerciseBoundaryResponse,
    responses=_BATCH_ERRORS,
)
async def exercise_boundary(body: ExerciseBoundaryRequest, options: UserOptions) -> Response:
    priced = price_request_pb(body, body.options, body.vol, pb.GREEKS_WANTED_NONE)
    request = pb.GetExerciseBoundaryRequest(batch=priced.batch, vol=priced.vol, points=body.points)
    try:
        response = await options.upstream.call(
            options.stub.GetExerciseBoundary, request, fields=_BATCH_FIELDS
        )
    except ProblemError as problem:
        raise rows_named(problem, body.options) from None
    return Response(boundaries_json(response), media_type=_JSON)


@router.post(
    "/options/implied-vol",
    summary="Implied volatilities of a batch of quoted options",
    description=(
        "A price outside the no-arbitrage bounds (below intrinsic value, above the maximum) is "
        "a row `error`, its `vol` null."
    ),
    response_model=ImpliedVolResponse,
    responses=_BATCH_ERRORS,
)
async def implied_vol(body: ImpliedVolRequest, options: UserOptions) -> Response:
    _check_rows(options, len(body.options))
    response = await _solve(options, implied_vol_request_pb(body, body.options), body.options)
    return Response(implied_vols_json(response, len(body.options)), media_type=_JSON)


@router.post(
    "/analytics/options",
    summary="One option: price, every Greek, and the implied vol of a market price",
    description=(
        "The calculator of the research dashboard. Second-order Greeks are null for american "
        "options; `implied_volatility` is null without `market_price`."
    ),
    response_model=OptionAnalysis,
    responses=problem_responses(400, 401, 422, 429, 503),
)
async def analyse_option(body: OptionAnalysisRequest, options: UserOptions) -> Response:
    batch = single_batch_pb(body)
    wanted = pb.GREEKS_WANTED_ALL if body.style == "european" else pb.GREEKS_WANTED_FIRST_ORDER
    request = pb.PriceOptionsRequest(batch=batch, vol=[body.volatility], greeks=wanted)
    pricing = _price(options, request, None)
    if body.market_price is None:
        return Response(option_analysis_json(body, await pricing, None), media_type=_JSON)
    solving = _solve(options, pb.SolveImpliedVolsRequest(batch=batch, price=[body.market_price]), None)
    priced, solved = await asyncio.gather(pricing, solving)
    return Response(option_analysis_json(body, priced, solved), media_type=_JSON)
