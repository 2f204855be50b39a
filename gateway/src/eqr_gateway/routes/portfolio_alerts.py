"""Alerts: /api/v1/portfolios/{portfolio_id}/alerts, and the record of when they fired."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Path, Response, status

from eqr.portfolio.v1 import portfolio_service_pb2 as pb
from eqr_gateway.clients import UserPortfolio
from eqr_gateway.convert_portfolio import (
    ALERT_KIND_TO_PB,
    alert_doc,
    decimal_pb,
    page_doc,
    page_pb,
    trigger_doc,
)
from eqr_gateway.idempotency import IDEMPOTENT
from eqr_gateway.routes.portfolio_common import (
    BODY,
    DELETE_ERRORS,
    PAGE_QUERY,
    READ_ERRORS,
    WRITE_ERRORS,
    fields,
    portfolio_router,
)
from eqr_gateway.schemas.portfolio_alerts import Alert, AlertCreate, AlertList, AlertTriggerPage
from eqr_gateway.schemas.portfolio_fields import Cursor, Limit, PortfolioIdPath

router = portfolio_router("alerts")


@router.get("/portfolios/{portfolio_id}/alerts", summary="The portfolio's alerts", responses=READ_ERRORS)
async def list_alerts(portfolio_id: PortfolioIdPath, portfolio: UserPortfolio) -> AlertList:
    request = pb.ListAlertsRequest(portfolio_id=str(portfolio_id))
    response = await portfolio.upstream.call(portfolio.stub.ListAlerts, request, fields=fields())
    return AlertList.model_validate({"items": [alert_doc(alert) for alert in response.alerts]})


@router.post(
    "/portfolios/{portfolio_id}/alerts",
    status_code=status.HTTP_201_CREATED,
    summary="Create an alert",
    description=(
        "`price_above`, `price_below` and `daily_move` watch `symbol`; the `portfolio_*` kinds "
        "watch the portfolio's value. An alert fires once, then re-arms when its condition "
        "clears. Honours `Idempotency-Key`."
    ),
    dependencies=[IDEMPOTENT],
    responses=WRITE_ERRORS,
)
async def create_alert(portfolio_id: PortfolioIdPath, body: AlertCreate, portfolio: UserPortfolio) -> Alert:
    request = pb.CreateAlertRequest(
        portfolio_id=str(portfolio_id),
        kind=ALERT_KIND_TO_PB[body.kind],
        symbol=body.symbol or "",
        threshold=decimal_pb(body.threshold),
        note=body.note,
    )
    response = await portfolio.upstream.call(portfolio.stub.CreateAlert, request, fields=fields(BODY))
    return Alert.model_validate(alert_doc(response.alert))


@router.get(
    "/portfolios/{portfolio_id}/alerts/triggers",
    summary="When the portfolio's alerts fired",
    responses=READ_ERRORS,
)
async def list_alert_triggers(
    portfolio_id: PortfolioIdPath, portfolio: UserPortfolio, limit: Limit = 50, cursor: Cursor = None
) -> AlertTriggerPage:
    request = pb.ListAlertTriggersRequest(portfolio_id=str(portfolio_id), page=page_pb(limit, cursor))
    response = await portfolio.upstream.call(
        portfolio.stub.ListAlertTriggers, request, fields=fields(PAGE_QUERY)
    )
    return AlertTriggerPage.model_validate(
        page_doc([trigger_doc(t) for t in response.triggers], response.page)
    )


@router.delete(
    "/portfolios/{portfolio_id}/alerts/{alert_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an alert",
    response_description="The alert is gone.",
    responses=DELETE_ERRORS,
)
async def delete_alert(
    portfolio_id: PortfolioIdPath,
    alert_id: Annotated[UUID, Path(description="The alert's id.")],
    portfolio: UserPortfolio,
) -> Response:
    request = pb.DeleteAlertRequest(portfolio_id=str(portfolio_id), alert_id=str(alert_id))
    await portfolio.upstream.call(
        portfolio.stub.DeleteAlert, request, fields=fields((("alert_id", "path.alert_id"),))
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
