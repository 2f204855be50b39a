"""Alerts and their triggers -> protobuf; ``ALERT_KIND`` also reads a new alert's kind."""

from __future__ import annotations

from eqr.portfolio.v1 import resources_pb2 as pb
from eqr_platform.protobuf import decimal_pb, timestamp_pb
from eqr_portfolio.domain.alerts import Alert, AlertKind, RecordedTrigger

ALERT_KIND = {
    AlertKind.PRICE_ABOVE: pb.ALERT_KIND_PRICE_ABOVE,
    AlertKind.PRICE_BELOW: pb.ALERT_KIND_PRICE_BELOW,
    AlertKind.DAILY_MOVE: pb.ALERT_KIND_DAILY_MOVE,
    AlertKind.PORTFOLIO_VALUE_ABOVE: pb.ALERT_KIND_PORTFOLIO_VALUE_ABOVE,
    AlertKind.PORTFOLIO_VALUE_BELOW: pb.ALERT_KIND_PORTFOLIO_VALUE_BELOW,
    AlertKind.PORTFOLIO_DRAWDOWN: pb.ALERT_KIND_PORTFOLIO_DRAWDOWN,
}


def alert_to_pb(alert: Alert) -> pb.Alert:
    """Only alerts that are not deleted are ever shown, so ``active`` is always true."""
    message = pb.Alert(
        id=str(alert.id),
        portfolio_id=str(alert.portfolio_id),
        kind=ALERT_KIND[alert.definition.kind],
        symbol=alert.definition.symbol or "",
        threshold=decimal_pb(alert.definition.threshold),
        active=True,
        armed=alert.state.armed,
        note=alert.note,
        created_at=timestamp_pb(alert.created_at),
    )
    if alert.last_triggered_at:
        message.last_triggered_at.CopyFrom(timestamp_pb(alert.last_triggered_at))
    return message


def alert_trigger_to_pb(trigger: RecordedTrigger) -> pb.AlertTrigger:
    return pb.AlertTrigger(
        id=str(trigger.id),
        alert_id=str(trigger.alert_id),
        portfolio_id=str(trigger.portfolio_id),
        kind=ALERT_KIND[trigger.kind],
        symbol=trigger.symbol or "",
        threshold=decimal_pb(trigger.threshold),
        observed=decimal_pb(trigger.observed),
        message=trigger.message,
        triggered_at=timestamp_pb(trigger.triggered_at),
    )
