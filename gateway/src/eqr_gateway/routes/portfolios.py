"""Portfolios themselves: /api/v1/portfolios, their audit trail, and whole-portfolio documents.

A portfolio the caller may not read answers 404, exactly like a missing one; one they may
read but not change answers 403.
"""

from __future__ import annotations

from fastapi import Request, Response, status

from eqr.portfolio.v1 import portfolio_service_pb2 as pb
from eqr_gateway.clients import UserPortfolio
from eqr_gateway.convert_portfolio import (
    change_doc,
    page_doc,
    page_pb,
    portfolio_doc,
    portfolio_input_pb,
    portfolio_update_pb,
)
from eqr_gateway.idempotency import IDEMPOTENT
from eqr_gateway.routes.portfolio_common import (
    BODY,
    DELETE_ERRORS,
    PAGE_QUERY,
    READ_ERRORS,
    WRITE_ERRORS,
    attachment,
    download_responses,
    fields,
    json_object_text,
    portfolio_router,
    safe_filename,
)
from eqr_gateway.schemas.portfolio import (
    ChangePage,
    ImportedPortfolio,
    Portfolio,
    PortfolioCreate,
    PortfolioPage,
    PortfolioUpdate,
)
from eqr_gateway.schemas.portfolio_fields import Cursor, Limit, PortfolioIdPath

router = portfolio_router("portfolios")

IMPORT_PATH = "/api/v1/portfolios/import"

_SETTINGS_FIELDS = fields((("portfolio.", "body."), ("update_mask", "body")), BODY)
_DOCUMENT_FIELDS = fields((("content", "body"), ("document", "body")), BODY)
_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PortfolioDocument"}}},
    }
}


@router.get("/portfolios", summary="Your portfolios and those shared with you", responses=READ_ERRORS)
async def list_portfolios(
    portfolio: UserPortfolio, limit: Limit = 50, cursor: Cursor = None
) -> PortfolioPage:
    request = pb.ListPortfoliosRequest(page=page_pb(limit, cursor))
    response = await portfolio.upstream.call(portfolio.stub.ListPortfolios, request, fields=PAGE_QUERY)
    return PortfolioPage.model_validate(
        page_doc([portfolio_doc(p) for p in response.portfolios], response.page)
    )


@router.post(
    "/portfolios",
    status_code=status.HTTP_201_CREATED,
    summary="Create a portfolio",
    description="Honours `Idempotency-Key`.",
    dependencies=[IDEMPOTENT],
    responses=WRITE_ERRORS,
)
async def create_portfolio(body: PortfolioCreate, portfolio: UserPortfolio) -> Portfolio:
    request = pb.CreatePortfolioRequest(portfolio=portfolio_input_pb(body))
    response = await portfolio.upstream.call(portfolio.stub.CreatePortfolio, request, fields=_SETTINGS_FIELDS)
    return Portfolio.model_validate(portfolio_doc(response.portfolio))


@router.post(
    IMPORT_PATH.removeprefix("/api/v1"),
    status_code=status.HTTP_201_CREATED,
    summary="Create a portfolio from an exported document",
    description=(
        "The body is a document from `GET /portfolios/{portfolio_id}/export`, as it is. The "
        "portfolio and every transaction are created in one step, or nothing is; each problem "
        "names its place (`body.transactions[3].quantity`). Honours `Idempotency-Key`."
    ),
    dependencies=[IDEMPOTENT],
    responses=WRITE_ERRORS,
    openapi_extra=_DOCUMENT_BODY,
)
async def import_portfolio(request: Request, portfolio: UserPortfolio) -> ImportedPortfolio:
    message = pb.ImportPortfolioRequest(content=json_object_text(await request.body()))
    response = await portfolio.bulk.call(portfolio.stub.ImportPortfolio, message, fields=_DOCUMENT_FIELDS)
    return ImportedPortfolio.model_validate(
        {**portfolio_doc(response.portfolio), "imported_transactions": response.transactions}
    )


@router.get("/portfolios/{portfolio_id}", summary="A portfolio's settings", responses=READ_ERRORS)
async def get_portfolio(portfolio_id: PortfolioIdPath, portfolio: UserPortfolio) -> Portfolio:
    request = pb.GetPortfolioRequest(portfolio_id=str(portfolio_id))
    response = await portfolio.upstream.call(portfolio.stub.GetPortfolio, request, fields=fields())
    return Portfolio.model_validate(portfolio_doc(response.portfolio))


@router.patch(
    "/portfolios/{portfolio_id}",
    summary="Change a portfolio's settings",
    description=(
        "Only the fields sent change. Changing `cost_method`, `cash_mode` or `allow_short` "
        "replays the ledger under the new rules and is refused (422) if an entry breaks them."
    ),
    responses=WRITE_ERRORS,
)
async def update_portfolio(
    portfolio_id: PortfolioIdPath, body: PortfolioUpdate, portfolio: UserPortfolio
) -> Portfolio:
    settings, mask = portfolio_update_pb(body)
    if not mask:
        return await get_portfolio(portfolio_id, portfolio)
    request = pb.UpdatePortfolioRequest(portfolio_id=str(portfolio_id), portfolio=settings, update_mask=mask)
    response = await portfolio.upstream.call(portfolio.stub.UpdatePortfolio, request, fields=_SETTINGS_FIELDS)
    return Portfolio.model_validate(portfolio_doc(response.portfolio))


@router.delete(
    "/portfolios/{portfolio_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a portfolio",
    description="Only its owner may.",
    response_description="The portfolio is gone.",
    responses=DELETE_ERRORS,
)
async def delete_portfolio(portfolio_id: PortfolioIdPath, portfolio: UserPortfolio) -> Response:
    request = pb.DeletePortfolioRequest(portfolio_id=str(portfolio_id))
    await portfolio.upstream.call(portfolio.stub.DeletePortfolio, request, fields=fields())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/portfolios/{portfolio_id}/history",
    summary="Who changed what, when",
    description="The audit trail of the portfolio and its ledger, newest first.",
    responses=READ_ERRORS,
)
async def list_changes(
    portfolio_id: PortfolioIdPath, portfolio: UserPortfolio, limit: Limit = 50, cursor: Cursor = None
) -> ChangePage:
    request = pb.ListChangesRequest(portfolio_id=str(portfolio_id), page=page_pb(limit, cursor))
    response = await portfolio.upstream.call(portfolio.stub.ListChanges, request, fields=fields(PAGE_QUERY))
    return ChangePage.model_validate(page_doc([change_doc(c) for c in response.changes], response.page))


@router.get(
    "/portfolios/{portfolio_id}/export",
    summary="Download the whole portfolio as a JSON document",
    description="Settings and every transaction; `POST /portfolios/import` reads it back.",
    response_class=Response,
    responses=download_responses("application/json", "The document, as an attachment."),
)
async def export_portfolio(portfolio_id: PortfolioIdPath, portfolio: UserPortfolio) -> Response:
    request = pb.ExportPortfolioRequest(portfolio_id=str(portfolio_id))
    response = await portfolio.upstream.call(portfolio.stub.ExportPortfolio, request, fields=fields())
    filename = safe_filename(response.filename, "portfolio.json")
    return attachment(response.content, "application/json", filename)
