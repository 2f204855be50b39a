"""Sharing a portfolio with colleagues as viewer or editor, and taking it back."""

from __future__ import annotations

from uuid import UUID

from eqr_portfolio.app.caller import Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.domain.access import SHAREABLE_ROLES, AccessRole, Share, require_owner, require_read
from eqr_portfolio.domain.errors import NotFound, ValidationFailed
from eqr_portfolio.domain.events import ShareChanged
from eqr_portfolio.domain.history import Change

MAX_EMAIL_LENGTH = 320


async def share_portfolio(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, *, email: str, role: AccessRole | None
) -> Share:
    """Only the owner shares; sharing again with the same person changes their role."""
    if role not in SHAREABLE_ROLES:
        raise ValidationFailed.single("role", "must be viewer or editor")
    email = email.strip()
    if not email or len(email) > MAX_EMAIL_LENGTH:
        raise ValidationFailed.single("email", "must be the email of an account")
    async with deps.unit_of_work() as uow:
        await load_portfolio(uow, caller, portfolio_id, require_owner)
    user = await deps.directory.find_user(email)
    if user is None:
        raise ValidationFailed.single("email", "no active account has this email")
    if user.id == caller.user_id:
        raise ValidationFailed.single("email", "you own this portfolio; share it with someone else")
    now = deps.clock.now()
    share = Share(portfolio_id, user.id, user.email, role, now)
    async with deps.unit_of_work() as uow:
        await load_portfolio(uow, caller, portfolio_id, require_owner, for_update=True)
        await uow.shares.put(share)
        await uow.changes.record(
            Change(
                portfolio_id,
                caller.user_id,
                "share.granted",
                str(user.id),
                {"email": user.email, "role": role.value},
                now,
            )
        )
        uow.record(ShareChanged(portfolio_id, user.id, role, now))
        await uow.commit()
    return share


async def list_shares(deps: Dependencies, caller: Caller, portfolio_id: UUID) -> list[Share]:
    async with deps.unit_of_work() as uow:
        await load_portfolio(uow, caller, portfolio_id, require_read)
        return await uow.shares.list(portfolio_id)


async def revoke_share(deps: Dependencies, caller: Caller, portfolio_id: UUID, user_id: UUID) -> None:
    """The owner revokes anyone's access; anyone may give up their own."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        require = require_read if user_id == caller.user_id else require_owner
        await load_portfolio(uow, caller, portfolio_id, require, for_update=True)
        if not await uow.shares.remove(portfolio_id, user_id):
            raise NotFound("share")
        await uow.changes.record(Change(portfolio_id, caller.user_id, "share.revoked", str(user_id), {}, now))
        uow.record(ShareChanged(portfolio_id, user_id, None, now))
        await uow.commit()
