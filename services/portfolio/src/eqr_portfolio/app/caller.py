"""The signed-in user a use case acts for, and loading a portfolio with their access to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from eqr_portfolio.app.ports import UnitOfWork
from eqr_portfolio.domain.access import AccessRole
from eqr_portfolio.domain.errors import NotFound
from eqr_portfolio.domain.transactions import Portfolio


@dataclass(frozen=True)
class Caller:
    user_id: UUID


SYSTEM = Caller(UUID(int=0))
"""The platform itself, as the author of the entries it records (option settlements)."""


async def load_portfolio(
    uow: UnitOfWork,
    caller: Caller,
    portfolio_id: UUID,
    require: Callable[[AccessRole | None], AccessRole],
    *,
    for_update: bool = False,
) -> tuple[Portfolio, AccessRole]:
    """The portfolio and the caller's role, or the error ``require`` raises for their role."""
    role = require(await uow.portfolios.role_of(portfolio_id, caller.user_id))
    portfolio = await uow.portfolios.get(portfolio_id, for_update=for_update)
    if portfolio is None:
        raise NotFound("portfolio")
    return portfolio, role
