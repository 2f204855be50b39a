"""Option strategies: analysis of explicit legs or a template on a symbol's chain, and each
user's saved strategies (/api/v1/options/strategy, /api/v1/options/strategies).

A saved strategy of another user answers 404, exactly like a missing one.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response, status

from eqr.options.v1 import options_service_pb2 as pb
from eqr.options.v1 import resources_pb2 as res
from eqr_gateway.clients import UserOptions
from eqr_gateway.convert_options_strategy import (
    analysis_json,
    analyze_request_pb,
    build_request_pb,
    legs_problems,
    saved_doc,
    strategy_pb,
    strategy_request_problems,
)
from eqr_gateway.convert_portfolio import page_doc, page_pb
from eqr_gateway.grpc_calls import BODY_FIELDS, FieldMap
from eqr_gateway.idempotency import IDEMPOTENT
from eqr_gateway.openapi import problem_responses
from eqr_gateway.problems import validation_problem
from eqr_gateway.routes.portfolio_common import PAGE_QUERY, QUERY
from eqr_gateway.schemas.market import SymbolText
from eqr_gateway.schemas.options_strategy import (
    SavedStrategy,
    SavedStrategyIn,
    SavedStrategyPage,
    StrategyAnalysis,
    StrategyRequest,
)
from eqr_gateway.schemas.portfolio_fields import Cursor, Limit

router = APIRouter(prefix="/api/v1/options", tags=["options"])

StrategyIdPath = Annotated[UUID, Path(description="The saved strategy's id.")]
_JSON = "application/json"
_READ_ERRORS = problem_responses(401, 404, 422, 429, 503)
_WRITE_ERRORS = problem_responses(400, 401, 404, 409, 413, 422, 429, 503)
_STRATEGY_FIELDS: FieldMap = (("strategy.", "body."), ("market.", "body.market."), *BODY_FIELDS)
_SAVED_FIELDS: FieldMap = (("id", "path.strategy_id"), ("strategy.", "body."), *BODY_FIELDS)
_PAGE_FIELDS: FieldMap = (*PAGE_QUERY, *QUERY)


@router.post(
    "/strategy",
    summary="Analyse a strategy: payoff, breakevens, extremes, Greeks, P&L diagram and scenarios",
    description=(
        "Either explicit `legs` in a `market`, or a `template` (`iron_condor`, `straddle` ...) "
        "built on `symbol`'s chain at its mids and implied vols, then analysed in the chain's "
        "market. Where profit or loss is unbounded, `max_profit`/`max_loss` are null and "
        "`profit_unlimited`/`loss_unlimited` true."
    ),
    response_model=StrategyAnalysis,
    responses=problem_responses(400, 401, 404, 413, 422, 429, 503),
)
async def analyse_strategy(body: StrategyRequest, options: UserOptions) -> Response:
    errors = strategy_request_problems(body)
    if errors:
        raise validation_problem(errors)
    if body.legs is not None and body.market is not None:
        strategy = strategy_pb(body.name, body.legs)
        market = res.StrategyMarket(
            spot=body.market.spot, rate=body.market.rate, dividend_yield=body.market.dividend_yield
        )
    else:
        built = await options.upstream.call(options.stub.BuildStrategy, build_request_pb(body))
        strategy, market = built.strategy, built.market
    request = analyze_request_pb(body, strategy, market)
    response = await options.upstream.call(options.stub.AnalyzeStrategy, request, fields=_STRATEGY_FIELDS)
    return Response(analysis_json(response.analysis, strategy, market, body.symbol), media_type=_JSON)


@router.get(
    "/strategies",
    summary="Your saved strategies",
    response_model=SavedStrategyPage,
    responses=_READ_ERRORS,
)
async def list_strategies(
    options: UserOptions,
    limit: Limit = 50,
    cursor: Cursor = None,
    symbol: Annotated[SymbolText | None, Query(description="Only strategies on this underlying.")] = None,
) -> SavedStrategyPage:
    request = pb.ListSavedStrategiesRequest(page=page_pb(limit, cursor), symbol=symbol or "")
    response = await options.upstream.call(options.stub.ListSavedStrategies, request, fields=_PAGE_FIELDS)
    return SavedStrategyPage.model_validate(
        page_doc([saved_doc(s) for s in response.strategies], response.page)
    )


def _save_request(body: SavedStrategyIn, strategy_id: UUID | None) -> pb.SaveStrategyRequest:
    errors = legs_problems(body.legs)
    if errors:
        raise validation_problem(errors)
    return pb.SaveStrategyRequest(
        id=str(strategy_id) if strategy_id else "",
        symbol=body.symbol,
        strategy=strategy_pb(body.name, body.legs),
        notes=body.notes,
    )


@router.post(
    "/strategies",
    status_code=status.HTTP_201_CREATED,
    summary="Save a strategy",
    description="Honours `Idempotency-Key`.",
    dependencies=[IDEMPOTENT],
    response_model=SavedStrategy,
    responses=_WRITE_ERRORS,
)
async def create_strategy(body: SavedStrategyIn, options: UserOptions) -> SavedStrategy:
    request = _save_request(body, None)
    response = await options.upstream.call(options.stub.SaveStrategy, request, fields=_SAVED_FIELDS)
    return SavedStrategy.model_validate(saved_doc(response.saved))


@router.get(
    "/strategies/{strategy_id}",
    summary="A saved strategy",
    response_model=SavedStrategy,
    responses=_READ_ERRORS,
)
async def get_strategy(strategy_id: StrategyIdPath, options: UserOptions) -> SavedStrategy:
    request = pb.GetSavedStrategyRequest(id=str(strategy_id))
    response = await options.upstream.call(options.stub.GetSavedStrategy, request, fields=_SAVED_FIELDS)
    return SavedStrategy.model_validate(saved_doc(response.saved))


@router.put(
    "/strategies/{strategy_id}",
    summary="Replace a saved strategy",
    response_model=SavedStrategy,
    responses=_WRITE_ERRORS,
)
async def replace_strategy(
    strategy_id: StrategyIdPath, body: SavedStrategyIn, options: UserOptions
) -> SavedStrategy:
    request = _save_request(body, strategy_id)
    response = await options.upstream.call(options.stub.SaveStrategy, request, fields=_SAVED_FIELDS)
    return SavedStrategy.model_validate(saved_doc(response.saved))


@router.delete(
    "/strategies/{strategy_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a saved strategy",
    response_description="The strategy is gone.",
    responses=_READ_ERRORS,
)
async def delete_strategy(strategy_id: StrategyIdPath, options: UserOptions) -> Response:
    request = pb.DeleteSavedStrategyRequest(id=str(strategy_id))
    await options.upstream.call(options.stub.DeleteSavedStrategy, request, fields=_SAVED_FIELDS)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
