"""Sharing a portfolio: /api/v1/portfolios/{portfolio_id}/shares.

The owner shares and unshares; anyone it is shared with may remove themselves.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Path, Response, status

from eqr.portfolio.v1 import portfolio_service_pb2 as pb
from eqr_gateway.clients import UserPortfolio
from eqr_gateway.convert_portfolio import ACCESS_ROLE_TO_PB, share_doc
from eqr_gateway.idempotency import IDEMPOTENT
from eqr_gateway.routes.portfolio_common import (
    BODY,
    DELETE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    fields,
    portfolio_router,
)
from eqr_gateway.schemas.portfolio_fields import PortfolioIdPath
from eqr_gateway.schemas.portfolio_sharing import Share, ShareList, ShareRequest

router = portfolio_router("sharing")


@router.get(
    "/portfolios/{portfolio_id}/shares", summary="Who the portfolio is shared with", responses=READ_ERRORS
)
async def list_shares(portfolio_id: PortfolioIdPath, portfolio: UserPortfolio) -> ShareList:
    request = pb.ListSharesRequest(portfolio_id=str(portfolio_id))
    response = await portfolio.upstream.call(portfolio.stub.ListShares, request, fields=fields())
    return ShareList.model_validate({"items": [share_doc(share) for share in response.shares]})


@router.post(
    "/portfolios/{portfolio_id}/shares",
    status_code=status.HTTP_201_CREATED,
    summary="Share the portfolio with someone",
    description=(
        "By the email of their account; sharing again changes their role. Honours `Idempotency-Key`."
    ),
    dependencies=[IDEMPOTENT],
    responses=WRITE_ERRORS,
)
async def share_portfolio(
    portfolio_id: PortfolioIdPath, body: ShareRequest, portfolio: UserPortfolio
) -> Share:
    request = pb.SharePortfolioRequest(
        portfolio_id=str(portfolio_id), email=body.email, role=ACCESS_ROLE_TO_PB[body.role]
    )
    response = await portfolio.upstream.call(portfolio.stub.SharePortfolio, request, fields=fields(BODY))
    return Share.model_validate(share_doc(response.share))


@router.delete(
    "/portfolios/{portfolio_id}/shares/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop sharing the portfolio with someone",
    description="The owner removes anyone; anyone else may remove only themselves.",
    response_description="They no longer see the portfolio.",
    responses=DELETE_ERRORS,
)
async def revoke_share(
    portfolio_id: PortfolioIdPath,
    user_id: Annotated[UUID, Path(description="The user the portfolio is shared with.")],
    portfolio: UserPortfolio,
) -> Response:
    request = pb.RevokeShareRequest(portfolio_id=str(portfolio_id), user_id=str(user_id))
    await portfolio.upstream.call(
        portfolio.stub.RevokeShare, request, fields=fields((("user_id", "path.user_id"),))
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
