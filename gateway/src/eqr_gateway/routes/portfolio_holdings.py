"""Holdings: /api/v1/portfolios/{portfolio_id}/holdings, the valuation and holding-shaped writes,
and /api/v1/portfolios/{portfolio_id}/realized-gains, the lots the ledger closed.

A holding is not stored: it is what the ledger adds up to. Each write records the ledger
entries that make the change (a buy, a sell) and answers with them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response, status

from eqr.portfolio.v1 import portfolio_service_pb2 as pb
from eqr_gateway.clients import UserPortfolio
from eqr_gateway.convert_portfolio import (
    decimal_pb,
    optional_date_pb,
    optional_decimal_pb,
    page_pb,
    realized_gains_doc,
    transactions_doc,
)
from eqr_gateway.convert_portfolio_figures import valuation_json
from eqr_gateway.grpc_calls import FieldMap
from eqr_gateway.idempotency import IDEMPOTENT
from eqr_gateway.problems import invalid_field
from eqr_gateway.routes.portfolio_common import (
    BODY,
    JSON,
    PAGE_QUERY,
    QUERY,
    READ_ERRORS,
    WRITE_ERRORS,
    fields,
    portfolio_router,
)
from eqr_gateway.schemas.portfolio import LedgerEntries
from eqr_gateway.schemas.portfolio_fields import (
    SYMBOL_DESCRIPTION,
    SYMBOL_PATTERN,
    Cursor,
    Day,
    DecimalIn,
    Limit,
    PortfolioIdPath,
)
from eqr_gateway.schemas.portfolio_holdings import AddHoldingRequest, SetHoldingRequest, Valuation
from eqr_gateway.schemas.portfolio_realised import RealizedGains

router = portfolio_router("holdings")

SymbolPath = Annotated[str, Path(pattern=SYMBOL_PATTERN, description=SYMBOL_DESCRIPTION, examples=["AAPL"])]
_PATH_SYMBOL: FieldMap = (("symbol", "path.symbol"),)
_REALIZED_FIELDS = fields((("start_date", "query.from"), ("end_date", "query.to")), PAGE_QUERY, QUERY)


@router.get(
    "/portfolios/{portfolio_id}/holdings",
    summary="Holdings, valued",
    description=(
        "Every position and the cash (a holding with `is_cash`), with totals and the allocation by "
        "sector and industry. Valued at the latest quotes, or at the closes of `as_of`. Positions "
        "without a price are valued at cost (`priced: false`)."
    ),
    response_model=Valuation,
    responses=READ_ERRORS,
)
async def get_holdings(
    portfolio_id: PortfolioIdPath,
    portfolio: UserPortfolio,
    as_of: Annotated[Day | None, Query(description="Value at this day's close (YYYY-MM-DD).")] = None,
    include_lots: Annotated[bool, Query(description="List each position's open lots.")] = False,
) -> Response:
    request = pb.GetValuationRequest(
        portfolio_id=str(portfolio_id), as_of=optional_date_pb(as_of), include_lots=include_lots
    )
    response = await portfolio.upstream.call(portfolio.stub.GetValuation, request, fields=fields(QUERY))
    return Response(valuation_json(response.valuation, include_lots=include_lots), media_type=JSON)


@router.post(
    "/portfolios/{portfolio_id}/holdings",
    status_code=status.HTTP_201_CREATED,
    summary="Add to a holding",
    description="Records a buy (at the latest quote unless `price` is given). Honours `Idempotency-Key`.",
    dependencies=[IDEMPOTENT],
    responses=WRITE_ERRORS,
)
async def add_holding(
    portfolio_id: PortfolioIdPath, body: AddHoldingRequest, portfolio: UserPortfolio
) -> LedgerEntries:
    request = pb.AddHoldingRequest(
        portfolio_id=str(portfolio_id),
        symbol=body.symbol,
        quantity=decimal_pb(body.quantity),
        price=optional_decimal_pb(body.price),
        trade_date=optional_date_pb(body.trade_date),
        commission=optional_decimal_pb(body.commission),
        notes=body.notes,
    )
    response = await portfolio.upstream.call(portfolio.stub.AddHolding, request, fields=fields(BODY))
    return LedgerEntries.model_validate(transactions_doc(response.transactions))


@router.put(
    "/portfolios/{portfolio_id}/holdings/{symbol}",
    summary="Set a holding's quantity",
    description="Buys or sells the difference between what is held and `quantity`.",
    responses=WRITE_ERRORS,
)
async def set_holding(
    portfolio_id: PortfolioIdPath, symbol: SymbolPath, body: SetHoldingRequest, portfolio: UserPortfolio
) -> LedgerEntries:
    request = pb.UpdateHoldingRequest(
        portfolio_id=str(portfolio_id),
        symbol=symbol.upper(),
        quantity=decimal_pb(body.quantity),
        price=optional_decimal_pb(body.price),
        trade_date=optional_date_pb(body.trade_date),
        commission=optional_decimal_pb(body.commission),
        notes=body.notes,
    )
    response = await portfolio.upstream.call(
        portfolio.stub.UpdateHolding, request, fields=fields(_PATH_SYMBOL, BODY)
    )
    return LedgerEntries.model_validate(transactions_doc(response.transactions))


@router.delete(
    "/portfolios/{portfolio_id}/holdings/{symbol}",
    summary="Sell a whole holding",
    description="Records the sell (at the latest quote unless `price` is given) and answers with it.",
    responses=WRITE_ERRORS,
)
async def remove_holding(
    portfolio_id: PortfolioIdPath,
    symbol: SymbolPath,
    portfolio: UserPortfolio,
    price: Annotated[DecimalIn | None, Query(description="Per share.", examples=["230.10"])] = None,
    trade_date: Annotated[Day | None, Query(description="Today when left out.")] = None,
) -> LedgerEntries:
    request = pb.RemoveHoldingRequest(
        portfolio_id=str(portfolio_id),
        symbol=symbol.upper(),
        price=optional_decimal_pb(price),
        trade_date=optional_date_pb(trade_date),
    )
    response = await portfolio.upstream.call(
        portfolio.stub.RemoveHolding, request, fields=fields(_PATH_SYMBOL, QUERY)
    )
    return LedgerEntries.model_validate(transactions_doc(response.transactions))


@router.get(
    "/portfolios/{portfolio_id}/realized-gains",
    summary="Realised gains: every closed lot, with totals per symbol",
    description=(
        "Every lot a trade closed, oldest closing first, a page at a time: quantity, opening and "
        "closing dates, cost basis, proceeds and the commissions inside them, realised P&L, days "
        "held and whether that was more than a year (`long_term`). `by_symbol` and `totals` add up "
        "every lot the filters match, over all pages; closed-out positions, which no longer appear "
        "under `/holdings`, are here (`held: false`). Without filters `totals.realized_pnl` equals "
        "the holdings' `totals.realized_pnl`. The portfolio's cost method decides what a lot is: "
        "under `fifo` (part of) one purchase, under `average` one sale at the pooled average cost, "
        "opened on the day the position last opened from flat. A covered short has a negative "
        "quantity, its short sale as `proceeds` and the buy-back as `cost_basis`. Option contracts' "
        "amounts include the 100-share multiplier. Viewers may read it."
    ),
    response_model=RealizedGains,
    responses=READ_ERRORS,
)
async def get_realized_gains(
    portfolio_id: PortfolioIdPath,
    portfolio: UserPortfolio,
    start: Annotated[
        Day | None, Query(alias="from", description="Closed on or after this day (YYYY-MM-DD).")
    ] = None,
    end: Annotated[
        Day | None, Query(alias="to", description="Closed on or before this day (YYYY-MM-DD).")
    ] = None,
    symbol: Annotated[
        str | None,
        Query(pattern=SYMBOL_PATTERN, description="Only this symbol's lots.", examples=["AAPL"]),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> RealizedGains:
    if start is not None and end is not None and start > end:
        raise invalid_field("query.from", "must not be after `to`")
    request = pb.GetRealizedGainsRequest(
        portfolio_id=str(portfolio_id),
        start_date=optional_date_pb(start),
        end_date=optional_date_pb(end),
        symbol=(symbol or "").upper(),
        page=page_pb(limit, cursor),
    )
    response = await portfolio.upstream.call(
        portfolio.stub.GetRealizedGains, request, fields=_REALIZED_FIELDS
    )
    return RealizedGains.model_validate(realized_gains_doc(response))
