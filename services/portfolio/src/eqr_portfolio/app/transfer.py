"""Moving ledgers in and out: CSV and broker imports, CSV export, the portfolio as JSON.

Imports are all-or-nothing: every row is parsed and the whole ledger replayed with the new
entries before anything is written, and a dry run stops right there with the full report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from eqr_portfolio.app.caller import Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ledger import RejectedEntry, append_entries
from eqr_portfolio.app.portfolios import add_portfolio, settings_of
from eqr_portfolio.domain.access import require_read, require_write
from eqr_portfolio.domain.csv_transactions import (
    ImportedRows,
    ImportRejected,
    RowProblem,
    parse_transactions_csv,
    render_transactions_csv,
)
from eqr_portfolio.domain.errors import LedgerRejected, ValidationFailed
from eqr_portfolio.domain.ibkr_flex import parse_flex_trades_csv
from eqr_portfolio.domain.portfolio_document import from_document, to_document
from eqr_portfolio.domain.transactions import Portfolio


class ImportFormat(StrEnum):
    CSV = "csv"
    IBKR_FLEX = "ibkr_flex"


@dataclass(frozen=True)
class ImportReport:
    rows: int
    imported: int
    dry_run: bool
    problems: tuple[RowProblem, ...]
    skipped: tuple[RowProblem, ...]


@dataclass(frozen=True)
class Export:
    content: str
    filename: str


def _parse(deps: Dependencies, portfolio: Portfolio, fmt: ImportFormat, content: str) -> ImportedRows:
    today = deps.clock.now().date()
    if fmt is ImportFormat.CSV:
        return parse_transactions_csv(content, today=today, max_rows=deps.limits.max_import_rows)
    return parse_flex_trades_csv(
        content, base_currency=portfolio.base_currency, today=today, max_rows=deps.limits.max_import_rows
    )


async def import_transactions(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, fmt: ImportFormat, content: str, *, dry_run: bool
) -> ImportReport:
    """A dry run does all of it, writes included, and rolls back: what it reports is exactly
    what a real import would do."""
    async with deps.unit_of_work() as uow:
        portfolio, _ = await load_portfolio(uow, caller, portfolio_id, require_write, for_update=True)
        try:
            rows = _parse(deps, portfolio, fmt, content)
            drafts, skipped = rows.drafts, rows.skipped
            try:
                stored, _ = await append_entries(
                    deps, uow, caller, portfolio, drafts, "transaction.imported", ""
                )
            except RejectedEntry as exc:
                raise ImportRejected(RowProblem(rows.lines[exc.index], exc.field, exc.reason)) from None
            except LedgerRejected as exc:  # a stored entry the file's back-dated rows make impossible
                raise ImportRejected(RowProblem(None, exc.field, exc.reason)) from None
        except ImportRejected as exc:
            if dry_run:
                return ImportReport(0, 0, True, exc.problems, ())
            raise
        if dry_run:
            return ImportReport(len(drafts), 0, True, (), tuple(skipped))
        await uow.commit()
    return ImportReport(len(drafts), len(stored), False, (), tuple(skipped))


async def export_transactions(deps: Dependencies, caller: Caller, portfolio_id: UUID) -> Export:
    async with deps.unit_of_work() as uow:
        portfolio, _ = await load_portfolio(uow, caller, portfolio_id, require_read)
        ledger = await uow.transactions.ledger(portfolio_id)
    return Export(render_transactions_csv(ledger), f"{_slug(portfolio.name)}-transactions.csv")


async def export_portfolio(deps: Dependencies, caller: Caller, portfolio_id: UUID) -> Export:
    async with deps.unit_of_work() as uow:
        portfolio, _ = await load_portfolio(uow, caller, portfolio_id, require_read)
        ledger = await uow.transactions.ledger(portfolio_id)
    document = to_document(settings_of(portfolio), ledger)
    return Export(json.dumps(document, indent=2, ensure_ascii=False), f"{_slug(portfolio.name)}.json")


async def import_portfolio(deps: Dependencies, caller: Caller, content: str) -> tuple[Portfolio, int]:
    """A new portfolio, owned by the caller, from an exported document: settings and ledger."""
    try:
        document = json.loads(content)
    except ValueError:
        raise ValidationFailed.single("content", "is not valid JSON") from None
    settings, drafts = from_document(
        document, today=deps.clock.now().date(), max_transactions=deps.limits.max_transactions
    )
    async with deps.unit_of_work() as uow:
        portfolio = await add_portfolio(uow, caller, settings, deps.clock.now(), "portfolio.imported")
        try:
            stored, _ = await append_entries(deps, uow, caller, portfolio, drafts, "transaction.imported", "")
        except RejectedEntry as exc:
            raise ValidationFailed.single(f"transactions[{exc.index}].{exc.field}", exc.reason) from None
        await uow.commit()
    return portfolio, len(stored)


def _slug(name: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    return "-".join(part for part in slug.split("-") if part)[:60] or "portfolio"
