"""Setting up and taking down a portfolio's alerts, and reading what they fired.

Editors and the owner manage alerts; anyone who can read the portfolio sees them and their
history. When they fire is ``app.live``'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid4

from eqr_platform.paging import decode_page_token, encode_page_token, page_limit
from eqr_portfolio.app.caller import Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.domain.access import require_read, require_write
from eqr_portfolio.domain.alerts import (
    Alert,
    AlertKind,
    AlertState,
    RecordedTrigger,
    validate_alert_definition,
)
from eqr_portfolio.domain.drafts import MAX_NOTES_LENGTH
from eqr_portfolio.domain.errors import FORBIDDEN_TEXT_CHARACTERS, NotFound, ValidationFailed
from eqr_portfolio.domain.history import Change

_BAD_TOKEN = "is not a token from a previous page"


@dataclass(frozen=True)
class TriggerPage:
    triggers: list[RecordedTrigger]
    next_page_token: str


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTES_LENGTH:
        raise ValidationFailed.single("note", f"must be at most {MAX_NOTES_LENGTH} characters")
    if FORBIDDEN_TEXT_CHARACTERS.search(note):
        raise ValidationFailed.single(
            "note", "must not contain control characters (line breaks and tabs included)"
        )
    return note


def _record(alert: Alert) -> dict[str, object]:
    definition = alert.definition
    return {
        "kind": definition.kind.value,
        "symbol": definition.symbol,
        "threshold": str(definition.threshold),
        "note": alert.note,
    }


async def create_alert(
    deps: Dependencies,
    caller: Caller,
    portfolio_id: UUID,
    *,
    kind: AlertKind,
    threshold: Decimal,
    symbol: str | None = None,
    note: str = "",
) -> Alert:
    """A price or daily-move alert needs a symbol market data knows; it starts armed."""
    definition = validate_alert_definition(kind, threshold, symbol)
    note = _note(note)
    async with deps.unit_of_work() as uow:
        await load_portfolio(uow, caller, portfolio_id, require_write)
    if definition.symbol is not None and not await deps.market_data.instruments([definition.symbol]):
        raise ValidationFailed.single("symbol", f"{definition.symbol} is not a symbol market data knows")
    now = deps.clock.now()
    alert = Alert(uuid4(), portfolio_id, definition, AlertState(), note, caller.user_id, now)
    async with deps.unit_of_work() as uow:
        await load_portfolio(uow, caller, portfolio_id, require_write)
        await uow.alerts.add(alert)
        await uow.changes.record(
            Change(portfolio_id, caller.user_id, "alert.created", str(alert.id), _record(alert), now)
        )
        await uow.commit()
    return alert


async def list_alerts(deps: Dependencies, caller: Caller, portfolio_id: UUID) -> list[Alert]:
    """Oldest first."""
    async with deps.unit_of_work() as uow:
        await load_portfolio(uow, caller, portfolio_id, require_read)
        return await uow.alerts.for_portfolio(portfolio_id)


async def delete_alert(deps: Dependencies, caller: Caller, portfolio_id: UUID, alert_id: UUID) -> None:
    """The alert stops watching; what it fired stays in the history."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        await load_portfolio(uow, caller, portfolio_id, require_write)
        deleted = await uow.alerts.delete(portfolio_id, alert_id, now)
        if deleted is None:
            raise NotFound("alert")
        await uow.changes.record(
            Change(portfolio_id, caller.user_id, "alert.deleted", str(alert_id), _record(deleted), now)
        )
        await uow.commit()


async def list_triggers(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, *, page_size: int = 0, page_token: str = ""
) -> TriggerPage:
    """Newest first, the triggers of deleted alerts included."""
    limit = page_limit(page_size, default=deps.limits.default_page_size, maximum=deps.limits.max_page_size)
    before = _position(page_token) if page_token else None
    async with deps.unit_of_work() as uow:
        await load_portfolio(uow, caller, portfolio_id, require_read)
        rows = await uow.alerts.triggers(portfolio_id, before=before, limit=limit + 1)
    page, more = rows[:limit], len(rows) > limit
    token = encode_page_token(page[-1].triggered_at.isoformat(), str(page[-1].id)) if more else ""
    return TriggerPage(page, token)


def _position(page_token: str) -> tuple[datetime, UUID]:
    triggered_at, trigger_id = decode_page_token(page_token, 2)
    try:
        return datetime.fromisoformat(str(triggered_at)), UUID(str(trigger_id))
    except ValueError:
        raise ValidationFailed.single("page_token", _BAD_TOKEN) from None
