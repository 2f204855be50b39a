"""The audit trail of a portfolio: who changed what, when."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from eqr_platform.paging import decode_page_token, encode_page_token, page_limit
from eqr_portfolio.app.caller import Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.domain.access import require_read
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.history import Change


@dataclass(frozen=True)
class ChangePage:
    changes: list[Change]
    next_page_token: str


async def list_changes(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, *, page_size: int = 0, page_token: str = ""
) -> ChangePage:
    """Newest first."""
    limit = page_limit(page_size, default=deps.limits.default_page_size, maximum=deps.limits.max_page_size)
    before = None
    if page_token:
        (position,) = decode_page_token(page_token, 1)
        if not isinstance(position, int):
            raise ValidationFailed.single("page_token", "is not a token from a previous page")
        before = position
    async with deps.unit_of_work() as uow:
        await load_portfolio(uow, caller, portfolio_id, require_read)
        rows = await uow.changes.page(portfolio_id, before=before, limit=limit + 1)
    page, more = rows[:limit], len(rows) > limit
    token = encode_page_token(page[-1].id) if more and page[-1].id is not None else ""
    return ChangePage(page, token)
