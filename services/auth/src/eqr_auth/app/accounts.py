"""Registration and the signed-in user's own account."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from eqr_auth.app.dependencies import Dependencies
from eqr_auth.app.guards import load_caller, require_interactive
from eqr_auth.app.ports import UnitOfWork
from eqr_auth.app.sessions import revoke_user_sessions
from eqr_auth.domain.emails import normalise_email
from eqr_auth.domain.errors import EmailAlreadyRegistered, NotFound, ValidationFailed, ViolationCollector
from eqr_auth.domain.events import PasswordReset, UserRegistered, UserUpdated
from eqr_auth.domain.passwords import check_password, normalise_password
from eqr_auth.domain.roles import Role
from eqr_auth.domain.sessions import RevocationReason
from eqr_auth.domain.users import Principal, User, normalise_full_name


async def register_user(deps: Dependencies, *, email: str, password: str, full_name: str) -> User:
    """Creates an active account with the configured registration role (analyst)."""
    collector = ViolationCollector()
    canonical_email = collector.apply(lambda: normalise_email(email), email)
    name = collector.apply(lambda: normalise_full_name(full_name), full_name)
    collector.apply(lambda: check_password(password, email=canonical_email), None)
    collector.raise_if_any()
    async with deps.unit_of_work() as uow:
        user = await _create_user(
            deps,
            uow,
            email=canonical_email,
            password=password,
            full_name=name,
            role=deps.config.registration_role,
        )
        await uow.commit()
    return user


async def ensure_demo_user(
    deps: Dependencies,
    *,
    email: str,
    password: str,
    full_name: str = "Demo Analyst",
    role: Role = Role.ANALYST,
) -> User:
    """The account a development fleet seeds at start-up; an existing one is left untouched."""
    email = normalise_email(email)
    full_name = normalise_full_name(full_name)
    check_password(password, email=email)
    async with deps.unit_of_work() as uow:
        existing = await uow.users.get_by_email(email)
        if existing is not None:
            return existing
        user = await _create_user(deps, uow, email=email, password=password, full_name=full_name, role=role)
        await uow.commit()
    return user


async def get_current_user(deps: Dependencies, principal: Principal) -> User:
    async with deps.unit_of_work() as uow:
        return await load_caller(uow, principal, deps.clock.now())


async def lookup_user(deps: Dependencies, principal: Principal, *, email: str) -> User:
    """Another active account by email: whom a signed-in caller is about to share with."""
    canonical = normalise_email(email)
    async with deps.unit_of_work() as uow:
        await load_caller(uow, principal, deps.clock.now())
        user = await uow.users.get_by_email(canonical)
    if user is None or not user.is_active:
        raise NotFound("user")
    return user


async def update_current_user(
    deps: Dependencies, principal: Principal, *, full_name: str | None = None, email: str | None = None
) -> User:
    """Changes the given fields (None leaves a field as it is)."""
    require_interactive(principal)
    collector = ViolationCollector()
    new_name = collector.apply(lambda: None if full_name is None else normalise_full_name(full_name), None)
    new_email = collector.apply(lambda: None if email is None else normalise_email(email), None)
    collector.raise_if_any()
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        user = await load_caller(uow, principal, now)
        changed: list[str] = []
        if new_name is not None and new_name != user.full_name:
            user = replace(user, full_name=new_name)
            changed.append("full_name")
        if new_email is not None and new_email != user.email:
            if await uow.users.get_by_email(new_email) is not None:
                raise EmailAlreadyRegistered()
            user = replace(user, email=new_email)
            changed.append("email")
        if not changed:
            return user
        user = replace(user, updated_at=now)
        await uow.users.update(user)
        uow.record(UserUpdated(user.id, tuple(changed), now))
        await uow.commit()
    return user


async def change_password(
    deps: Dependencies, principal: Principal, *, current_password: str, new_password: str
) -> None:
    """Replaces the password and signs out every other session of the user."""
    session_id = require_interactive(principal)
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        user = await load_caller(uow, principal, now)
        if not await deps.password_hasher.verify(user.password_hash, normalise_password(current_password)):
            raise ValidationFailed.single("current_password", "is not your current password")
        check_password(new_password, email=user.email, field="new_password")
        await set_password(deps, uow, user, new_password, now)
        await revoke_user_sessions(uow, user.id, RevocationReason.PASSWORD_RESET, now, keep=session_id)
        await uow.commit()


async def set_password(deps: Dependencies, uow: UnitOfWork, user: User, password: str, now: datetime) -> User:
    """Stores a new password hash, voids open reset links and records the change."""
    password_hash = await deps.password_hasher.hash(normalise_password(password))
    user = replace(user, password_hash=password_hash, updated_at=now)
    await uow.users.update(user)
    await uow.reset_tokens.invalidate_for_user(user.id, now)
    uow.record(PasswordReset(user.id, now))
    return user


async def _create_user(
    deps: Dependencies, uow: UnitOfWork, *, email: str, password: str, full_name: str, role: Role
) -> User:
    if await uow.users.get_by_email(email) is not None:
        raise EmailAlreadyRegistered()
    now = deps.clock.now()
    user = User(
        id=deps.secrets.identifier(),
        email=email,
        full_name=full_name,
        role=role,
        password_hash=await deps.password_hasher.hash(normalise_password(password)),
        is_active=True,
        created_at=now,
        updated_at=now,
    )
    await uow.users.add(user)
    uow.record(UserRegistered(user.id, user.email, user.role, now))
    return user
