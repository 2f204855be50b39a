"""Target weights: /api/v1/portfolio-templates, portfolios started from a template, and
rebalancing (/api/v1/portfolios/{portfolio_id}/rebalance): propose the trades, then apply them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response, status

from eqr.portfolio.v1 import portfolio_service_pb2 as pb
from eqr.portfolio.v1 import resources_pb2 as res
from eqr_gateway.clients import UserPortfolio
from eqr_gateway.convert_portfolio import (
    decimal_pb,
    optional_date_pb,
    optional_decimal_pb,
    portfolio_doc,
    portfolio_input_pb,
    rebalance_options_pb,
    target_weights_pb,
    template_doc,
    transaction_doc,
    transactions_doc,
)
from eqr_gateway.convert_portfolio_figures import proposal_doc
from eqr_gateway.grpc_calls import FieldMap
from eqr_gateway.idempotency import IDEMPOTENT
from eqr_gateway.openapi import problem_responses
from eqr_gateway.routes.portfolio_common import (
    BODY,
    DELETE_ERRORS,
    WRITE_ERRORS,
    fields,
    portfolio_router,
)
from eqr_gateway.schemas.portfolio import LedgerEntries
from eqr_gateway.schemas.portfolio_fields import (
    TEMPLATE_ID_DESCRIPTION,
    TEMPLATE_ID_PATTERN,
    PortfolioIdPath,
)
from eqr_gateway.schemas.portfolio_planning import (
    ApplyRebalanceRequest,
    CreatedFromTemplate,
    FromTemplateRequest,
    RebalanceProposal,
    RebalanceRequest,
    Template,
    TemplateCreate,
    TemplateList,
)

router = portfolio_router("planning")

TemplateIdPath = Annotated[
    str,
    Path(pattern=TEMPLATE_ID_PATTERN, description=TEMPLATE_ID_DESCRIPTION, examples=["builtin:sixty-forty"]),
]
_FROM_TEMPLATE_FIELDS: FieldMap = (("portfolio.", "body.portfolio."), ("", "body."))


@router.get(
    "/portfolio-templates",
    summary="Portfolio templates: the built-in ones and your own",
    responses=problem_responses(401, 429, 503),
)
async def list_templates(portfolio: UserPortfolio) -> TemplateList:
    response = await portfolio.upstream.call(portfolio.stub.ListTemplates, pb.ListTemplatesRequest())
    return TemplateList.model_validate({"items": [template_doc(t) for t in response.templates]})


@router.post(
    "/portfolio-templates",
    status_code=status.HTTP_201_CREATED,
    summary="Save your own template",
    description="Weights are fractions (0 to 1) summing to at most 1. Honours `Idempotency-Key`.",
    dependencies=[IDEMPOTENT],
    responses=problem_responses(400, 401, 409, 413, 422, 429, 503),
)
async def save_template(body: TemplateCreate, portfolio: UserPortfolio) -> Template:
    request = pb.SaveTemplateRequest(
        name=body.name, description=body.description, weights=target_weights_pb(body.weights)
    )
    response = await portfolio.upstream.call(portfolio.stub.SaveTemplate, request, fields=BODY)
    return Template.model_validate(template_doc(response.template))


@router.delete(
    "/portfolio-templates/{template_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete one of your templates",
    description="Built-in templates cannot be deleted.",
    response_description="The template is gone.",
    responses=DELETE_ERRORS,
)
async def delete_template(template_id: TemplateIdPath, portfolio: UserPortfolio) -> Response:
    request = pb.DeleteTemplateRequest(template_id=template_id)
    await portfolio.upstream.call(
        portfolio.stub.DeleteTemplate, request, fields=(("template_id", "path.template_id"),)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/portfolios/from-template",
    status_code=status.HTTP_201_CREATED,
    summary="Create a portfolio from a template",
    description=(
        "Creates the portfolio, deposits `initial_cash` on `trade_date` and buys the template's "
        "weights at that day's prices. Honours `Idempotency-Key`."
    ),
    dependencies=[IDEMPOTENT],
    responses=WRITE_ERRORS,
)
async def create_from_template(body: FromTemplateRequest, portfolio: UserPortfolio) -> CreatedFromTemplate:
    request = pb.CreatePortfolioFromTemplateRequest(
        template_id=body.template_id,
        portfolio=portfolio_input_pb(body.portfolio),
        initial_cash=decimal_pb(body.initial_cash),
        trade_date=optional_date_pb(body.trade_date),
    )
    response = await portfolio.upstream.call(
        portfolio.stub.CreatePortfolioFromTemplate, request, fields=_FROM_TEMPLATE_FIELDS
    )
    return CreatedFromTemplate.model_validate(
        {
            "portfolio": portfolio_doc(response.portfolio),
            "transactions": [transaction_doc(t) for t in response.transactions],
        }
    )


@router.post(
    "/portfolios/{portfolio_id}/rebalance",
    summary="Propose the trades that reach target weights",
    description=(
        "Nothing is written: the answer lists the trades (sells first), the drift of each "
        "weight and the cash left. Send the trades to `.../rebalance/apply` to record them."
    ),
    responses=WRITE_ERRORS,
)
async def propose_rebalance(
    portfolio_id: PortfolioIdPath, body: RebalanceRequest, portfolio: UserPortfolio
) -> RebalanceProposal:
    request = pb.ProposeRebalanceRequest(
        portfolio_id=str(portfolio_id),
        targets=target_weights_pb(body.targets or ()),
        options=rebalance_options_pb(body.options),
        template_id=body.template_id or "",
    )
    response = await portfolio.upstream.call(portfolio.stub.ProposeRebalance, request, fields=fields(BODY))
    return RebalanceProposal.model_validate(proposal_doc(response.proposal))


@router.post(
    "/portfolios/{portfolio_id}/rebalance/apply",
    status_code=status.HTTP_201_CREATED,
    summary="Record a rebalance's trades",
    description="All trades in one step, or none. Honours `Idempotency-Key`.",
    dependencies=[IDEMPOTENT],
    responses=WRITE_ERRORS,
)
async def apply_rebalance(
    portfolio_id: PortfolioIdPath, body: ApplyRebalanceRequest, portfolio: UserPortfolio
) -> LedgerEntries:
    trades = [
        res.ProposedTrade(
            symbol=trade.symbol,
            side=trade.side,
            quantity=decimal_pb(trade.quantity),
            price=decimal_pb(trade.price),
            value=optional_decimal_pb(trade.value),
            commission=optional_decimal_pb(trade.commission),
        )
        for trade in body.trades
    ]
    request = pb.ApplyRebalanceRequest(
        portfolio_id=str(portfolio_id), trades=trades, trade_date=optional_date_pb(body.trade_date)
    )
    response = await portfolio.upstream.call(portfolio.stub.ApplyRebalance, request, fields=fields(BODY))
    return LedgerEntries.model_validate(transactions_doc(response.transactions))
