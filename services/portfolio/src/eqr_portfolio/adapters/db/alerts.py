"""Alerts, where each stands, and the history of their triggers.

An alert's ``state`` column holds its ``AlertState`` as JSON, decimals as strings so they
come back exactly. Deleting an alert stamps ``deleted_at``: its triggers stay in the history.
An alert is active while neither it nor its portfolio is deleted.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping, Select, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from eqr_portfolio.adapters.db.tables import alert_triggers, alerts, portfolios
from eqr_portfolio.domain.alerts import Alert, AlertDefinition, AlertKind, AlertState, RecordedTrigger


def state_to_json(state: AlertState) -> dict[str, Any]:
    return {
        "armed": state.armed,
        "fired_against_close": _text(state.fired_against_close),
        "peak": _text(state.peak),
        "peak_flow": str(state.peak_flow),
    }


def state_from_json(value: dict[str, Any]) -> AlertState:
    return AlertState(
        armed=bool(value["armed"]),
        fired_against_close=_decimal(value.get("fired_against_close")),
        peak=_decimal(value.get("peak")),
        peak_flow=_decimal(value.get("peak_flow")) or Decimal(0),
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _alert(row: RowMapping) -> Alert:
    return Alert(
        id=row["id"],
        portfolio_id=row["portfolio_id"],
        definition=AlertDefinition(
            AlertKind(row["kind"]), row["threshold"], row["symbol"], row["rearm_band_percent"]
        ),
        state=state_from_json(row["state"]),
        note=row["note"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        last_triggered_at=row["last_triggered_at"],
    )


def _trigger(row: RowMapping) -> RecordedTrigger:
    return RecordedTrigger(
        id=row["id"],
        alert_id=row["alert_id"],
        portfolio_id=row["portfolio_id"],
        kind=AlertKind(row["kind"]),
        symbol=row["symbol"],
        threshold=row["threshold"],
        observed=row["observed"],
        message=row["message"],
        triggered_at=row["triggered_at"],
    )


def _active() -> Select[Any]:
    return (
        select(alerts)
        .join(portfolios, portfolios.c.id == alerts.c.portfolio_id)
        .where(alerts.c.deleted_at.is_(None), portfolios.c.deleted_at.is_(None))
    )


class SqlAlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, alert: Alert) -> None:
        definition = alert.definition
        await self._session.execute(
            insert(alerts).values(
                id=alert.id,
                portfolio_id=alert.portfolio_id,
                kind=definition.kind.value,
                symbol=definition.symbol,
                threshold=definition.threshold,
                rearm_band_percent=definition.rearm_band_percent,
                note=alert.note,
                state=state_to_json(alert.state),
                created_by=alert.created_by,
                created_at=alert.created_at,
                last_triggered_at=alert.last_triggered_at,
            )
        )

    async def for_portfolio(self, portfolio_id: UUID) -> list[Alert]:
        """The portfolio's alerts that are not deleted, oldest first."""
        query = (
            select(alerts)
            .where(alerts.c.portfolio_id == portfolio_id, alerts.c.deleted_at.is_(None))
            .order_by(alerts.c.created_at, alerts.c.id)
        )
        return [_alert(row) for row in (await self._session.execute(query)).mappings()]

    async def delete(self, portfolio_id: UUID, alert_id: UUID, at: datetime) -> Alert | None:
        """Soft-deletes the alert; the alert as it was, or None when there is no such live alert."""
        statement = (
            update(alerts)
            .where(
                alerts.c.id == alert_id, alerts.c.portfolio_id == portfolio_id, alerts.c.deleted_at.is_(None)
            )
            .values(deleted_at=at)
            .returning(alerts)
        )
        row = (await self._session.execute(statement)).mappings().first()
        return _alert(row) if row else None

    async def active_for_symbols(self, symbols: Collection[str]) -> list[Alert]:
        """The active alerts watching any of ``symbols`` (the price and daily-move kinds)."""
        if not symbols:
            return []
        query = _active().where(alerts.c.symbol.in_(sorted(symbols)))
        return [_alert(row) for row in (await self._session.execute(query)).mappings()]

    async def active_for_portfolios(self, portfolio_ids: Collection[UUID]) -> list[Alert]:
        """The active alerts on the value of any of ``portfolio_ids`` (the kinds without a symbol)."""
        if not portfolio_ids:
            return []
        query = _active().where(alerts.c.portfolio_id.in_(sorted(portfolio_ids)), alerts.c.symbol.is_(None))
        return [_alert(row) for row in (await self._session.execute(query)).mappings()]

    async def lock(self, alert_id: UUID) -> Alert | None:
        """The active alert, its row locked until the transaction ends: one state transition at a time."""
        query = _active().where(alerts.c.id == alert_id).with_for_update(of=alerts)
        row = (await self._session.execute(query)).mappings().first()
        return _alert(row) if row else None

    async def update_state(
        self, alert_id: UUID, state: AlertState, last_triggered_at: datetime | None
    ) -> None:
        await self._session.execute(
            update(alerts)
            .where(alerts.c.id == alert_id)
            .values(state=state_to_json(state), last_triggered_at=last_triggered_at)
        )

    async def add_trigger(self, trigger: RecordedTrigger) -> None:
        await self._session.execute(
            insert(alert_triggers).values(
                id=trigger.id,
                alert_id=trigger.alert_id,
                portfolio_id=trigger.portfolio_id,
                kind=trigger.kind.value,
                symbol=trigger.symbol,
                threshold=trigger.threshold,
                observed=trigger.observed,
                message=trigger.message,
                triggered_at=trigger.triggered_at,
            )
        )

    async def triggers(
        self, portfolio_id: UUID, *, before: tuple[datetime, UUID] | None, limit: int
    ) -> list[RecordedTrigger]:
        """Newest first, keyset-paged on (triggered_at, id); ``before`` is the last row's."""
        query = select(alert_triggers).where(alert_triggers.c.portfolio_id == portfolio_id)
        if before is not None:
            query = query.where(tuple_(alert_triggers.c.triggered_at, alert_triggers.c.id) < tuple_(*before))
        query = query.order_by(alert_triggers.c.triggered_at.desc(), alert_triggers.c.id.desc()).limit(limit)
        return [_trigger(row) for row in (await self._session.execute(query)).mappings()]
