"""Settling the option positions whose expiry has passed, one portfolio at a time.

The live valuation calls this for every portfolio it revalues that holds an expired contract,
so a contract is settled on the first quote of its underlying after its expiry day (and after
a restart, on the first tick). The portfolio row is locked and its ledger replayed inside the
unit of work: two replicas settling at once write the entries once. The entries follow
``domain.settlement``, recorded by ``SYSTEM`` and dated the expiry day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from eqr_portfolio.app.caller import SYSTEM
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ledger import append_entries, fits, validated
from eqr_portfolio.app.ports import ClosesQuery
from eqr_portfolio.domain.book import replay
from eqr_portfolio.domain.drafts import TransactionDraft
from eqr_portfolio.domain.option_contracts import OptionContract, option_contract
from eqr_portfolio.domain.settlement import settlement_plan

log = logging.getLogger("eqr.portfolio.settlement")

CLOSE_QUANTUM = Decimal("0.0001")
"""Closes are settled on at most 4 decimals, whatever the source's float carried."""
CLOSE_LOOKBACK = timedelta(days=10)
"""How far before an expiry a close is looked for: covers weekends and market holidays."""


def expired_contracts(symbols: Iterable[str], today: date) -> list[OptionContract]:
    """The contracts among ``symbols`` whose expiry day has passed."""
    return [c for s in symbols if (c := option_contract(s)) is not None and c.expiry < today]


async def _closes_at_expiry(
    deps: Dependencies, contracts: list[OptionContract]
) -> dict[OptionContract, Decimal]:
    queries = [
        ClosesQuery(c.underlying, c.expiry - CLOSE_LOOKBACK, c.expiry, adjusted=False) for c in contracts
    ]
    found = await deps.market_data.close_series(queries)
    closes = {}
    for contract, series in zip(contracts, found, strict=True):
        if len(series.closes):
            closes[contract] = Decimal(str(float(series.closes[-1]))).quantize(CLOSE_QUANTUM)
    return closes


@dataclass(frozen=True)
class Settled:
    settled: int
    left: int
    """Expired contracts still open: no close at expiry, or a ledger that takes neither plan
    (a strict portfolio without the cash to be assigned): the owner's deposit resolves it."""


async def settle_expired(deps: Dependencies, portfolio_id: UUID) -> Settled:
    """Settle the portfolio's expired contracts, each by the first plan its ledger takes."""
    today = deps.clock.now().date()
    async with deps.unit_of_work() as uow:
        portfolio = await uow.portfolios.get(portfolio_id, for_update=True)
        if portfolio is None:
            return Settled(0, 0)
        ledger = await uow.transactions.ledger(portfolio_id)
        book = replay(ledger, portfolio.policy)
        expired = expired_contracts(set(book.positions), today)
        if not expired:
            return Settled(0, 0)
        closes = await _closes_at_expiry(deps, expired)
        drafts: list[TransactionDraft] = []
        settled = 0
        for contract in expired:
            close = closes.get(contract)
            if close is None:
                log.warning("no close of %s at expiry; %s stays open", contract.underlying, contract.symbol)
                continue
            plan = settlement_plan(contract, book.positions[contract.symbol], close)
            chosen = next(
                (
                    p
                    for p in (plan.physical, plan.cash)
                    if fits(deps, ledger, [*drafts, *p], portfolio.policy)
                ),
                None,
            )
            if chosen is None:
                log.warning("the ledger takes no settlement of %s; it stays open", contract.symbol)
                continue
            drafts.extend(chosen)
            settled += 1
        if drafts:
            entries = validated(deps, drafts, "settlement.")
            await append_entries(deps, uow, SYSTEM, portfolio, entries, "option.settled", "settlement.")
            await uow.commit()
    return Settled(settled, len(expired) - settled)
