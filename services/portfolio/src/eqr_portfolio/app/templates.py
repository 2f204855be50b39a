"""Portfolio templates: the built-in ones and a user's own, and portfolios made from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from eqr_portfolio.app.caller import Caller
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ledger import append_entries, validated
from eqr_portfolio.app.portfolios import add_portfolio
from eqr_portfolio.app.valuation import closes_at
from eqr_portfolio.domain.dates import check_dates
from eqr_portfolio.domain.drafts import TransactionDraft
from eqr_portfolio.domain.errors import NotFound, ValidationFailed
from eqr_portfolio.domain.portfolios import PortfolioSettingsDraft
from eqr_portfolio.domain.rebalance import TradeSide
from eqr_portfolio.domain.templates import BUILT_IN_TEMPLATES, PortfolioTemplate, plan_from_template
from eqr_portfolio.domain.transactions import Portfolio, Transaction, TransactionKind

BUILT_IN_PREFIX = "builtin:"


@dataclass(frozen=True)
class NamedTemplate:
    id: str
    template: PortfolioTemplate
    builtin: bool


async def list_templates(deps: Dependencies, caller: Caller) -> list[NamedTemplate]:
    builtins = [NamedTemplate(BUILT_IN_PREFIX + slug, t, True) for slug, t in BUILT_IN_TEMPLATES.items()]
    async with deps.unit_of_work() as uow:
        own = await uow.templates.list(caller.user_id)
    return [*builtins, *(NamedTemplate(str(template_id), t, False) for template_id, t in own)]


async def save_template(deps: Dependencies, caller: Caller, template: PortfolioTemplate) -> NamedTemplate:
    """``template`` already passed ``validate_template``."""
    template_id = uuid4()
    async with deps.unit_of_work() as uow:
        await uow.templates.add(template_id, caller.user_id, template)
        await uow.commit()
    return NamedTemplate(str(template_id), template, False)


async def delete_template(deps: Dependencies, caller: Caller, template_id: str) -> None:
    if template_id.startswith(BUILT_IN_PREFIX):
        raise ValidationFailed.single("template_id", "built-in templates cannot be deleted")
    async with deps.unit_of_work() as uow:
        if not await uow.templates.remove(caller.user_id, _own_id(template_id)):
            raise NotFound("template")
        await uow.commit()


async def find_template(deps: Dependencies, caller: Caller, template_id: str) -> PortfolioTemplate:
    if template_id.startswith(BUILT_IN_PREFIX):
        template = BUILT_IN_TEMPLATES.get(template_id.removeprefix(BUILT_IN_PREFIX))
        if template is None:
            raise NotFound("template")
        return template
    wanted = _own_id(template_id)
    async with deps.unit_of_work() as uow:
        for own_id, template in await uow.templates.list(caller.user_id):
            if own_id == wanted:
                return template
    raise NotFound("template")


async def create_from_template(
    deps: Dependencies,
    caller: Caller,
    template_id: str,
    settings: PortfolioSettingsDraft,
    *,
    initial_cash: Decimal,
    trade_date: date | None,
) -> tuple[Portfolio, list[Transaction]]:
    """A new portfolio holding ``initial_cash`` invested along the template (whole shares; the
    remainder stays in cash) at the latest prices, or at ``trade_date``'s closes when it is past."""
    if initial_cash <= 0:
        raise ValidationFailed.single("initial_cash", "must be greater than 0")
    template = await find_template(deps, caller, template_id)
    today = deps.clock.now().date()
    day = trade_date or today
    check_dates(trade_date=day)
    if day > today:
        raise ValidationFailed.single("trade_date", "must not be in the future")
    prices = await _prices(deps, list(template.weights), day, today)
    missing = sorted(set(template.weights) - set(prices))
    if missing:
        raise ValidationFailed.single("template_id", f"no price for {', '.join(missing)} on {day}")
    plan = plan_from_template(template, initial_cash, prices)
    drafts = [TransactionDraft(TransactionKind.DEPOSIT, day, amount=initial_cash)]
    drafts += [
        TransactionDraft(
            TransactionKind.BUY if t.side is TradeSide.BUY else TransactionKind.SELL,
            day,
            symbol=t.symbol,
            quantity=t.quantity,
            price=t.price,
            commission=t.estimated_commission,
        )
        for t in plan.trades
    ]
    drafts = validated(deps, drafts, "")
    async with deps.unit_of_work() as uow:
        portfolio = await add_portfolio(uow, caller, settings, deps.clock.now(), "portfolio.created")
        stored, _ = await append_entries(deps, uow, caller, portfolio, drafts, "transaction.recorded", "")
        await uow.commit()
    return portfolio, stored


async def _prices(deps: Dependencies, symbols: list[str], day: date, today: date) -> dict[str, Decimal]:
    """The latest prices for today; for a past day each symbol's (raw) close on it, or on the last
    trading day before it, as the ledger holds that day's shares."""
    if day < today:
        return {s: q.price for s, q in (await closes_at(deps.market_data, symbols, day)).items()}
    return {s: q.price for s, q in (await deps.market_data.quotes(symbols)).items()}


def _own_id(template_id: str) -> UUID:
    try:
        return UUID(template_id)
    except ValueError:
        raise ValidationFailed.single("template_id", 'must be "builtin:<name>" or a UUID') from None
