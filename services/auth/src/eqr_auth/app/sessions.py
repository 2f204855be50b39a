"""Password login, refresh-token rotation, logout and the user's view of sessions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import NoReturn

from eqr_auth.app.dependencies import Dependencies
from eqr_auth.app.guards import load_caller, require_interactive
from eqr_auth.app.issuing import issue_access_token, new_refresh_token
from eqr_auth.app.ports import UnitOfWork
from eqr_auth.domain.digests import sha256_hex
from eqr_auth.domain.emails import canonical_email
from eqr_auth.domain.errors import (
    AccountInactive,
    AccountLocked,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    TokenReuseDetected,
)
from eqr_auth.domain.events import LoginFailureReason, SessionRevoked, UserLoggedIn, UserLoginFailed
from eqr_auth.domain.passwords import MAX_PASSWORD_LENGTH, normalise_password
from eqr_auth.domain.roles import permissions_of, sorted_scopes
from eqr_auth.domain.sessions import RevocationReason, Session, SessionView
from eqr_auth.domain.tokens import TokenPair
from eqr_auth.domain.users import ClientInfo, Principal, User


@dataclass(frozen=True)
class LoginResult:
    user: User
    tokens: TokenPair


async def login(deps: Dependencies, *, email: str, password: str, client: ClientInfo) -> LoginResult:
    """Opens a session for the right password, unless the account or address is locked."""
    now = deps.clock.now()
    email = canonical_email(email)
    password = normalise_password(password)
    client = client.bounded()
    policy = deps.config.lockout
    async with deps.unit_of_work() as uow:
        account_failures = await uow.login_attempts.account_failures_since(email, now - policy.account_window)
        ip_failures = (
            await uow.login_attempts.ip_failures_since(client.ip_address, now - policy.ip_window)
            if client.ip_address
            else []
        )
        user = await uow.users.get_by_email(email) if email else None
        user_id = user.id if user else None
        retry_after = policy.retry_after(account_failures=account_failures, ip_failures=ip_failures, now=now)
        if retry_after is not None:
            uow.record(UserLoginFailed(user_id, client.ip_address, LoginFailureReason.LOCKED, now))
            await uow.commit()
            raise AccountLocked(retry_after)
        matches = await _password_matches(deps, user, password)
        if user is None or not matches:
            await uow.login_attempts.record_failure(email=email, ip_address=client.ip_address, at=now)
            uow.record(UserLoginFailed(user_id, client.ip_address, LoginFailureReason.BAD_CREDENTIALS, now))
            await uow.commit()
            raise InvalidCredentials()
        if not user.is_active:
            uow.record(UserLoginFailed(user.id, client.ip_address, LoginFailureReason.INACTIVE, now))
            await uow.commit()
            raise AccountInactive()
        await uow.login_attempts.clear_account(email)
        password_hash = user.password_hash
        if deps.password_hasher.needs_rehash(password_hash):
            password_hash = await deps.password_hasher.hash(password)
        user = replace(user, password_hash=password_hash, last_login_at=now)
        await uow.users.update(user)
        session, tokens = await _open_session(deps, uow, user, client, now)
        uow.record(UserLoggedIn(user.id, session.id, client.ip_address, client.user_agent, now))
        await uow.commit()
    return LoginResult(user=user, tokens=tokens)


async def refresh_session(deps: Dependencies, *, refresh_token: str, client: ClientInfo) -> TokenPair:
    """Trades a refresh token for a new pair; a rotated token coming back revokes its session."""
    now = deps.clock.now()
    client = client.bounded()
    token_hash = sha256_hex(refresh_token.strip())
    async with deps.unit_of_work() as uow:
        token = await uow.refresh_tokens.get_by_hash(token_hash)
        session = await uow.sessions.get(token.session_id) if token else None
        if token is None or session is None or session.revoked_at is not None:
            raise InvalidToken()
        if token.rotated_at is not None:
            await _reject_reuse(uow, session, now)
        if now >= token.expires_at or not session.is_live(now):
            raise InvalidToken()
        if not await uow.refresh_tokens.mark_rotated(token_hash, now):
            await _reject_reuse(uow, session, now)
        user = await uow.users.get(token.user_id)
        if user is None or not user.is_active:
            raise InvalidToken()
        successor = new_refresh_token(deps, session_id=session.id, user_id=user.id, now=now)
        await uow.refresh_tokens.add(successor.record)
        await uow.sessions.update(
            replace(
                session,
                last_used_at=now,
                expires_at=successor.record.expires_at,
                ip_address=client.ip_address or session.ip_address,
                user_agent=client.user_agent or session.user_agent,
            )
        )
        tokens = await _session_tokens(deps, uow, user, session.id, successor.secret, now)
        await uow.commit()
    return tokens


async def end_session(deps: Dependencies, principal: Principal) -> None:
    """Logout: revokes the caller's own session; doing it twice is harmless."""
    session_id = require_interactive(principal)
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        session = await uow.sessions.get(session_id)
        if session is None or session.user_id != principal.user_id or session.revoked_at is not None:
            return
        await revoke_session_record(uow, session, RevocationReason.LOGOUT, now)
        await uow.commit()


async def list_sessions(deps: Dependencies, principal: Principal) -> list[SessionView]:
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        user = await load_caller(uow, principal, now)
        sessions = await uow.sessions.list_live(user.id, now)
    return [SessionView(session=session, current=session.id == principal.session_id) for session in sessions]


async def revoke_session(deps: Dependencies, principal: Principal, *, session_id: str) -> None:
    """Revokes one of the caller's sessions; anyone else's is reported as not found."""
    require_interactive(principal)
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        user = await load_caller(uow, principal, now)
        session = await uow.sessions.get(session_id)
        if session is None or session.user_id != user.id:
            raise NotFound("session")
        if session.revoked_at is not None:
            return
        await revoke_session_record(uow, session, RevocationReason.REVOKED, now)
        await uow.commit()


async def revoke_session_record(
    uow: UnitOfWork, session: Session, reason: RevocationReason, now: datetime
) -> None:
    await uow.sessions.update(replace(session, revoked_at=now, revocation_reason=reason))
    uow.record(SessionRevoked(session.user_id, session.id, reason, now))


async def revoke_user_sessions(
    uow: UnitOfWork, user_id: str, reason: RevocationReason, now: datetime, *, keep: str | None = None
) -> None:
    """Revokes every live session of the user except ``keep``."""
    for session in await uow.sessions.list_live(user_id, now):
        if session.id != keep:
            await revoke_session_record(uow, session, reason, now)


async def _password_matches(deps: Dependencies, user: User | None, password: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    if user is None:
        await deps.password_hasher.verify_nothing(password)
        return False
    return await deps.password_hasher.verify(user.password_hash, password)


async def _open_session(
    deps: Dependencies, uow: UnitOfWork, user: User, client: ClientInfo, now: datetime
) -> tuple[Session, TokenPair]:
    session_id = deps.secrets.identifier()
    refresh = new_refresh_token(deps, session_id=session_id, user_id=user.id, now=now)
    session = Session(
        id=session_id,
        user_id=user.id,
        user_agent=client.user_agent,
        ip_address=client.ip_address,
        created_at=now,
        last_used_at=now,
        expires_at=refresh.record.expires_at,
    )
    await uow.sessions.add(session)
    await uow.refresh_tokens.add(refresh.record)
    return session, await _session_tokens(deps, uow, user, session.id, refresh.secret, now)


async def _reject_reuse(uow: UnitOfWork, session: Session, now: datetime) -> NoReturn:
    await revoke_session_record(uow, session, RevocationReason.REUSE_DETECTED, now)
    await uow.commit()
    raise TokenReuseDetected()


def _role_scopes(user: User) -> tuple[str, ...]:
    return sorted_scopes(permissions_of(user.role))


async def _session_tokens(
    deps: Dependencies, uow: UnitOfWork, user: User, session_id: str, refresh_secret: str, now: datetime
) -> TokenPair:
    """A new access token for the session, paired with its current refresh token."""
    access = await issue_access_token(
        deps,
        uow,
        user=user,
        session_id=session_id,
        scopes=_role_scopes(user),
        ttl=deps.config.access_token_ttl,
        now=now,
    )
    return TokenPair(
        access_token=access.token,
        refresh_token=refresh_secret,
        expires_in=int(deps.config.access_token_ttl.total_seconds()),
        refresh_expires_in=int(deps.config.refresh_token_ttl.total_seconds()),
    )
