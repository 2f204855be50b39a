"""Forgotten passwords: a single-use link by mail, then a new password."""

from __future__ import annotations

import logging

from eqr_auth.app.accounts import set_password
from eqr_auth.app.dependencies import Dependencies
from eqr_auth.app.ports import OutgoingMail
from eqr_auth.app.sessions import revoke_user_sessions
from eqr_auth.domain.digests import sha256_hex
from eqr_auth.domain.emails import canonical_email
from eqr_auth.domain.errors import ValidationFailed
from eqr_auth.domain.events import PasswordResetRequested
from eqr_auth.domain.password_reset import PasswordResetToken
from eqr_auth.domain.passwords import check_password
from eqr_auth.domain.sessions import RevocationReason

RESET_TOKEN_BYTES = 32

logger = logging.getLogger(__name__)


async def request_password_reset(deps: Dependencies, *, email: str) -> None:
    """Mails a reset link to an active account; answers alike whether one exists or not."""
    now = deps.clock.now()
    address = canonical_email(email)
    if not address:
        return
    async with deps.unit_of_work() as uow:
        user = await uow.users.get_by_email(address)
        if user is None or not user.is_active:
            return
        secret = deps.secrets.token(RESET_TOKEN_BYTES)
        expires_at = now + deps.config.password_reset_ttl
        await uow.reset_tokens.add(
            PasswordResetToken(sha256_hex(secret), user.id, created_at=now, expires_at=expires_at)
        )
        uow.record(PasswordResetRequested(user.id, now))
        await uow.commit()
    minutes = int(deps.config.password_reset_ttl.total_seconds() // 60)
    mail = OutgoingMail(
        to=user.email,
        subject="Reset your Equity Research password",
        text=(
            f"Someone asked to reset the password of the account {user.email}.\n\n"
            f"To choose a new password, open this link within {minutes} minutes:\n"
            f"{deps.config.password_reset_url.format(token=secret)}\n\n"
            "If it was not you, ignore this mail: your password stays as it is.\n"
        ),
    )
    try:
        await deps.mail_sender.send(mail)
    except Exception:
        # Failing the call would tell the caller that the account exists.
        logger.exception("could not send the password reset mail of user %s", user.id)


async def reset_password(deps: Dependencies, *, token: str, new_password: str) -> None:
    """Sets a new password with a reset token, once; every session of the user ends."""
    now = deps.clock.now()
    token_hash = sha256_hex(token.strip())
    async with deps.unit_of_work() as uow:
        reset = await uow.reset_tokens.get_by_hash(token_hash)
        user = await uow.users.get(reset.user_id) if reset else None
        if reset is None or user is None or not user.is_active or not reset.is_usable(now):
            raise _invalid_token()
        check_password(new_password, email=user.email, field="new_password")
        if not await uow.reset_tokens.mark_used(token_hash, now):
            raise _invalid_token()
        await set_password(deps, uow, user, new_password, now)
        await revoke_user_sessions(uow, user.id, RevocationReason.PASSWORD_RESET, now)
        await uow.login_attempts.clear_account(user.email)
        await uow.commit()


def _invalid_token() -> ValidationFailed:
    return ValidationFailed.single("token", "is invalid, used or expired")
