"""The realised-gains report of a portfolio: its closed lots a page at a time, with the totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eqr_platform.paging import decode_page_token, encode_page_token, page_limit
from eqr_portfolio.app.caller import Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ledger_cache import read_ledger
from eqr_portfolio.domain.access import require_read
from eqr_portfolio.domain.dates import check_dates
from eqr_portfolio.domain.drafts import normalise_symbol
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.realised import LotPosition, RealisedLot, RealisedReport, realised_report
from eqr_portfolio.domain.transactions import Portfolio

_BAD_TOKEN = "is not a token from a previous page"


@dataclass(frozen=True)
class RealisedGainsPage:
    portfolio: Portfolio
    report: RealisedReport
    """Every lot the filters match and their totals (over all pages)."""
    lots: list[RealisedLot]
    """This page's lots."""
    next_page_token: str


def _after(page_token: str) -> LotPosition | None:
    if not page_token:
        return None
    day, sequence, part = decode_page_token(page_token, 3)
    if not isinstance(day, str) or not isinstance(sequence, int) or not isinstance(part, int):
        raise ValidationFailed.single("page_token", _BAD_TOKEN)
    try:
        return date.fromisoformat(day), sequence, part
    except ValueError:
        raise ValidationFailed.single("page_token", _BAD_TOKEN) from None


async def realised_gains(
    deps: Dependencies,
    caller: Caller,
    portfolio_id: UUID,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
    symbol: str = "",
    page_size: int = 0,
    page_token: str = "",
) -> RealisedGainsPage:
    """Lots closed from ``first_day`` to ``last_day`` (closing dates, inclusive) on ``symbol``
    (every symbol when empty), oldest closing first. The page token is a place in ledger
    order, so a page follows on from the previous one even after the ledger changed."""
    limit = page_limit(page_size, default=deps.limits.default_page_size, maximum=deps.limits.max_page_size)
    after = _after(page_token)
    check_dates(start_date=first_day, end_date=last_day)
    if first_day is not None and last_day is not None and first_day > last_day:
        raise ValidationFailed.single("start_date", "must not be after end_date")
    wanted = normalise_symbol(symbol, "symbol") if symbol.strip() else None
    async with deps.unit_of_work() as uow:
        portfolio, _ = await load_portfolio(uow, caller, portfolio_id, require_read)
        ledger = await read_ledger(deps.ledgers, uow, portfolio)
    report = realised_report(
        ledger.book(portfolio.policy), first_day=first_day, last_day=last_day, symbol=wanted
    )
    rest = [lot for lot in report.lots if after is None or lot.position > after]
    page, more = rest[:limit], len(rest) > limit
    token = ""
    if more:
        day, sequence, part = page[-1].position
        token = encode_page_token(day.isoformat(), sequence, part)
    return RealisedGainsPage(portfolio, report, page, token)
