"""Alerts on a portfolio's prices, value and drawdown, and the record of when they fired."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

from eqr_gateway.schemas.fields import RequestModel
from eqr_gateway.schemas.portfolio_fields import AlertKind, DecimalIn, DecimalOut, Notes, Symbol, examples

_THRESHOLD = (
    "A price for price_above/price_below, a value for portfolio_value_above/portfolio_value_below, "
    "a percentage for daily_move and portfolio_drawdown. A drawdown is measured from the highest value "
    "since the alert was created, moved by deposits and withdrawals (which are neither gain nor loss)."
)
_ALERT_EXAMPLE: JsonDict = {
    "id": "3e2d1c0b-9a8f-4e7d-b6c5-a4b3c2d1e0f9",
    "portfolio_id": "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
    "kind": "price_above",
    "symbol": "AAPL",
    "threshold": "250",
    "active": True,
    "armed": True,
    "note": "take profits",
    "created_at": "2025-03-14T08:00:00Z",
    "last_triggered_at": None,
}


class AlertCreate(RequestModel):
    model_config = examples(
        {"kind": "price_above", "symbol": "AAPL", "threshold": "250", "note": "take profits"}
    )

    kind: AlertKind
    symbol: Symbol | None = Field(None, description="For price_above, price_below and daily_move.")
    threshold: DecimalIn = Field(description=_THRESHOLD)
    note: Notes = ""


class Alert(BaseModel):
    model_config = examples(_ALERT_EXAMPLE)

    id: UUID
    portfolio_id: UUID
    kind: AlertKind
    symbol: str | None
    threshold: DecimalOut = Field(description=_THRESHOLD)
    active: bool
    armed: bool = Field(description="False after firing, until the condition has cleared.")
    note: str
    created_at: datetime | None
    last_triggered_at: datetime | None


class AlertList(BaseModel):
    items: list[Alert]


class AlertTrigger(BaseModel):
    model_config = examples(
        {
            "id": "8f7e6d5c-4b3a-4291-8f0e-1d2c3b4a5f6e",
            "alert_id": "3e2d1c0b-9a8f-4e7d-b6c5-a4b3c2d1e0f9",
            "portfolio_id": "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
            "kind": "price_above",
            "symbol": "AAPL",
            "threshold": "250",
            "observed": "251.12",
            "message": "AAPL rose to 251.12, above 250",
            "triggered_at": "2025-03-14T15:42:07Z",
        }
    )

    id: str = Field(description="Opaque.")
    alert_id: UUID
    portfolio_id: UUID
    kind: AlertKind
    symbol: str | None
    threshold: DecimalOut
    observed: DecimalOut = Field(description="The price, value or percentage that crossed the threshold.")
    message: str
    triggered_at: datetime | None


class AlertTriggerPage(BaseModel):
    items: list[AlertTrigger] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
