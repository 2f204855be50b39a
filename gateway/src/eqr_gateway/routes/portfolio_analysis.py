"""How a portfolio did and how risky it is: /api/v1/portfolios/{portfolio_id}/{performance,risk}."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Response

from eqr.portfolio.v1 import portfolio_service_pb2 as pb
from eqr_gateway.clients import UserPortfolio
from eqr_gateway.convert_portfolio import optional_date_pb, optional_decimal_pb
from eqr_gateway.convert_portfolio_figures import performance_json, risk_json
from eqr_gateway.grpc_calls import FieldMap
from eqr_gateway.problems import invalid_field
from eqr_gateway.routes.portfolio_common import JSON, QUERY, READ_ERRORS, fields, portfolio_router
from eqr_gateway.schemas.portfolio_analysis import Performance, Risk
from eqr_gateway.schemas.portfolio_fields import Day, DecimalIn, PortfolioIdPath

router = portfolio_router("performance")

From = Annotated[Day | None, Query(alias="from", description="First day (YYYY-MM-DD).")]
To = Annotated[Day | None, Query(alias="to", description="Last day (YYYY-MM-DD).")]
_RANGE_FIELDS: FieldMap = (("start_date", "query.from"), ("end_date", "query.to"))


def _checked_range(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise invalid_field("query.from", "must not be after `to`")


@router.get(
    "/portfolios/{portfolio_id}/performance",
    summary="Returns: by period, daily series, calendar, contributions",
    description=(
        "Time-weighted (and money-weighted) returns for 1D, 1W, 1M, 3M, YTD, 1Y, 3Y, 5Y and since "
        "inception, each against the benchmark; with `from`/`to` also the CUSTOM period, and the "
        "series and contributions cover that range. Returns are fractions (0.05 = 5%)."
    ),
    response_model=Performance,
    responses=READ_ERRORS,
)
async def get_performance(
    portfolio_id: PortfolioIdPath, portfolio: UserPortfolio, start: From = None, end: To = None
) -> Response:
    _checked_range(start, end)
    request = pb.GetPerformanceRequest(
        portfolio_id=str(portfolio_id), start_date=optional_date_pb(start), end_date=optional_date_pb(end)
    )
    response = await portfolio.upstream.call(
        portfolio.stub.GetPerformance, request, fields=fields(_RANGE_FIELDS, QUERY)
    )
    return Response(performance_json(response.performance), media_type=JSON)


@router.get(
    "/portfolios/{portfolio_id}/risk",
    summary="Volatility, Sharpe, Sortino, beta, correlation and the deepest drawdown",
    description="From daily returns over `from`/`to` (both optional). Figures are fractions (0.18 = 18%).",
    response_model=Risk,
    responses=READ_ERRORS,
)
async def get_risk(
    portfolio_id: PortfolioIdPath,
    portfolio: UserPortfolio,
    start: From = None,
    end: To = None,
    risk_free_rate: Annotated[
        DecimalIn | None,
        Query(description="Annual, as a fraction (0.04 = 4%); 0 when left out.", examples=["0.04"]),
    ] = None,
) -> Response:
    _checked_range(start, end)
    request = pb.GetRiskRequest(
        portfolio_id=str(portfolio_id),
        start_date=optional_date_pb(start),
        end_date=optional_date_pb(end),
        risk_free_rate=optional_decimal_pb(risk_free_rate),
    )
    response = await portfolio.upstream.call(
        portfolio.stub.GetRisk, request, fields=fields(_RANGE_FIELDS, QUERY)
    )
    return Response(risk_json(response.risk), media_type=JSON)
