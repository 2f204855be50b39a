"""Creating, reading, listing, changing and deleting portfolios."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID, uuid4

from eqr_platform.paging import decode_page_token, encode_page_token, page_limit
from eqr_portfolio.app.caller import Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ledger import replay_checked
from eqr_portfolio.app.ports import UnitOfWork
from eqr_portfolio.domain.access import AccessRole, require_owner, require_read, require_write
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.events import LedgerChanged, PortfolioDeleted
from eqr_portfolio.domain.history import Change
from eqr_portfolio.domain.portfolios import PortfolioSettingsDraft, validate_portfolio_settings
from eqr_portfolio.domain.transactions import LedgerPolicy, Portfolio

UPDATABLE = ("name", "description", "base_currency", "benchmark", "cost_method", "cash_mode", "allow_short")


@dataclass(frozen=True)
class PortfolioPage:
    portfolios: list[tuple[Portfolio, AccessRole]]
    next_page_token: str


def settings_of(portfolio: Portfolio) -> PortfolioSettingsDraft:
    return PortfolioSettingsDraft(
        name=portfolio.name,
        base_currency=portfolio.base_currency,
        description=portfolio.description,
        benchmark=portfolio.benchmark,
        cost_method=portfolio.policy.cost_method,
        cash_mode=portfolio.policy.cash_mode,
        allow_short=portfolio.policy.allow_short,
    )


def _apply(portfolio: Portfolio, settings: PortfolioSettingsDraft, at: datetime) -> Portfolio:
    return replace(
        portfolio,
        name=settings.name,
        description=settings.description,
        base_currency=settings.base_currency,
        benchmark=settings.benchmark,
        policy=LedgerPolicy(settings.cost_method, settings.cash_mode, settings.allow_short),
        updated_at=at,
    )


def settings_record(settings: PortfolioSettingsDraft) -> dict[str, object]:
    return {
        "name": settings.name,
        "description": settings.description,
        "base_currency": settings.base_currency,
        "benchmark": settings.benchmark,
        "cost_method": settings.cost_method.value,
        "cash_mode": settings.cash_mode.value,
        "allow_short": settings.allow_short,
    }


async def add_portfolio(
    uow: UnitOfWork, caller: Caller, settings: PortfolioSettingsDraft, now: datetime, action: str
) -> Portfolio:
    """Inside an open unit of work: a new portfolio owned by the caller, with its first change."""
    settings = validate_portfolio_settings(settings, field_prefix="portfolio.")
    blank = Portfolio(
        id=uuid4(),
        owner_id=caller.user_id,
        name="",
        description="",
        base_currency="",
        benchmark=None,
        policy=LedgerPolicy(),
        created_at=now,
        updated_at=now,
    )
    portfolio = _apply(blank, settings, now)
    await uow.portfolios.add(portfolio)
    await uow.changes.record(
        Change(portfolio.id, caller.user_id, action, str(portfolio.id), settings_record(settings), now)
    )
    return portfolio


async def create_portfolio(deps: Dependencies, caller: Caller, settings: PortfolioSettingsDraft) -> Portfolio:
    async with deps.unit_of_work() as uow:
        portfolio = await add_portfolio(uow, caller, settings, deps.clock.now(), "portfolio.created")
        await uow.commit()
    return portfolio


async def get_portfolio(
    deps: Dependencies, caller: Caller, portfolio_id: UUID
) -> tuple[Portfolio, AccessRole]:
    async with deps.unit_of_work() as uow:
        return await load_portfolio(uow, caller, portfolio_id, require_read)


async def list_portfolios(
    deps: Dependencies, caller: Caller, *, page_size: int = 0, page_token: str = ""
) -> PortfolioPage:
    """The caller's own portfolios and those shared with them, oldest first."""
    limit = page_limit(page_size, default=deps.limits.default_page_size, maximum=deps.limits.max_page_size)
    after = None
    if page_token:
        created_at, portfolio_id = decode_page_token(page_token, 2)
        try:
            after = (datetime.fromisoformat(str(created_at)), UUID(str(portfolio_id)))
        except ValueError:
            raise ValidationFailed.single("page_token", "is not a token from a previous page") from None
    async with deps.unit_of_work() as uow:
        rows = await uow.portfolios.list_visible(caller.user_id, after=after, limit=limit + 1)
    page, more = rows[:limit], len(rows) > limit
    last = page[-1][0] if page else None
    token = encode_page_token(last.created_at.isoformat(), str(last.id)) if more and last else ""
    return PortfolioPage(page, token)


async def update_portfolio(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, settings: PortfolioSettingsDraft, fields: set[str]
) -> tuple[Portfolio, AccessRole]:
    """Changes ``fields`` of the settings; the ledger must still replay under a new policy."""
    unknown = sorted(fields - set(UPDATABLE))
    if unknown:
        raise ValidationFailed.single("update_mask", f"unknown field(s): {', '.join(unknown)}")
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        portfolio, role = await load_portfolio(uow, caller, portfolio_id, require_write, for_update=True)
        current = settings_of(portfolio)
        merged = replace(current, **{name: getattr(settings, name) for name in fields})
        merged = validate_portfolio_settings(merged, field_prefix="portfolio.")
        updated = _apply(portfolio, merged, now)
        if updated.policy != portfolio.policy:
            changed = next(f for f in ("cost_method", "cash_mode", "allow_short") if f in fields)
            replay_checked(
                await uow.transactions.ledger(portfolio_id),
                updated.policy,
                field=lambda _: f"portfolio.{changed}",
            )
        await uow.portfolios.update(updated)
        if updated.policy != portfolio.policy:  # cost basis and P&L are replayed differently now
            uow.record(LedgerChanged(portfolio_id, caller.user_id, "portfolio.updated", (), now))
        before, after = settings_record(current), settings_record(merged)
        diff = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
        await uow.changes.record(
            Change(portfolio_id, caller.user_id, "portfolio.updated", str(portfolio_id), diff, now)
        )
        await uow.commit()
    return updated, role


async def delete_portfolio(deps: Dependencies, caller: Caller, portfolio_id: UUID) -> None:
    """Only the owner deletes; the rows stay (soft delete) so nothing committed is lost."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        await load_portfolio(uow, caller, portfolio_id, require_owner, for_update=True)
        await uow.portfolios.delete(portfolio_id, now)
        await uow.changes.record(
            Change(portfolio_id, caller.user_id, "portfolio.deleted", str(portfolio_id), {}, now)
        )
        uow.record(PortfolioDeleted(portfolio_id, caller.user_id, now))
        await uow.commit()
