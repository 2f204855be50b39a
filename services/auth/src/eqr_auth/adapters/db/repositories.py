"""SQL for the auth schema. Repositories never commit; the unit of work does."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from eqr_auth.adapters.db import rows
from eqr_auth.adapters.db.tables import (
    api_keys,
    login_attempts,
    password_reset_tokens,
    refresh_tokens,
    signing_keys,
    user_preferences,
    user_sessions,
    users,
)
from eqr_auth.app.ports import UserCursor
from eqr_auth.domain.api_keys import ApiKey
from eqr_auth.domain.errors import EmailAlreadyRegistered
from eqr_auth.domain.password_reset import PasswordResetToken
from eqr_auth.domain.preferences import Preferences
from eqr_auth.domain.sessions import RefreshToken, Session
from eqr_auth.domain.tokens import SigningKey
from eqr_auth.domain.users import User

_EMAIL_UNIQUE = "uq_users_email"


class _Repository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlUserRepository(_Repository):
    async def get(self, user_id: str) -> User | None:
        key = rows.as_uuid(user_id)
        if key is None:
            return None
        row = (await self._session.execute(select(users).where(users.c.id == key))).first()
        return rows.user_from_row(row) if row else None

    async def get_by_email(self, email: str) -> User | None:
        row = (await self._session.execute(select(users).where(users.c.email == email))).first()
        return rows.user_from_row(row) if row else None

    async def add(self, user: User) -> None:
        await self._write(insert(users).values(rows.user_values(user)))

    async def update(self, user: User) -> None:
        values = rows.user_values(user)
        await self._write(update(users).where(users.c.id == values.pop("id")).values(values))

    async def _write(self, statement: object) -> None:
        # A savepoint keeps the transaction usable after a unique violation.
        try:
            async with self._session.begin_nested():
                await self._session.execute(statement)  # type: ignore[call-overload]
        except IntegrityError as exc:
            if _EMAIL_UNIQUE in str(exc.orig):
                raise EmailAlreadyRegistered() from None
            raise

    async def list_page(self, *, query: str, after: UserCursor | None, limit: int) -> list[User]:
        statement = select(users).order_by(users.c.created_at, users.c.id).limit(limit)
        if query:
            pattern = f"%{_escape_like(query)}%"
            statement = statement.where(
                or_(users.c.email.ilike(pattern, escape="\\"), users.c.full_name.ilike(pattern, escape="\\"))
            )
        if after is not None:
            after_id = rows.as_uuid(after.user_id) or uuid.UUID(int=0)
            statement = statement.where(
                tuple_(users.c.created_at, users.c.id) > tuple_(literal(after.created_at), literal(after_id))
            )
        return [rows.user_from_row(row) for row in await self._session.execute(statement)]


class SqlSessionRepository(_Repository):
    async def get(self, session_id: str) -> Session | None:
        key = rows.as_uuid(session_id)
        if key is None:
            return None
        row = (await self._session.execute(select(user_sessions).where(user_sessions.c.id == key))).first()
        return rows.session_from_row(row) if row else None

    async def add(self, session: Session) -> None:
        await self._session.execute(insert(user_sessions).values(rows.session_values(session)))

    async def update(self, session: Session) -> None:
        values = rows.session_values(session)
        await self._session.execute(
            update(user_sessions).where(user_sessions.c.id == values.pop("id")).values(values)
        )

    async def list_live(self, user_id: str, now: datetime) -> list[Session]:
        key = rows.as_uuid(user_id)
        if key is None:
            return []
        result = await self._session.execute(
            select(user_sessions)
            .where(
                user_sessions.c.user_id == key,
                user_sessions.c.revoked_at.is_(None),
                user_sessions.c.expires_at > now,
            )
            .order_by(user_sessions.c.created_at.desc(), user_sessions.c.id)
        )
        return [rows.session_from_row(row) for row in result]


class SqlRefreshTokenRepository(_Repository):
    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        row = (
            await self._session.execute(
                select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
            )
        ).first()
        return rows.refresh_token_from_row(row) if row else None

    async def add(self, token: RefreshToken) -> None:
        await self._session.execute(
            insert(refresh_tokens).values(
                token_hash=token.token_hash,
                session_id=uuid.UUID(token.session_id),
                user_id=uuid.UUID(token.user_id),
                issued_at=token.issued_at,
                expires_at=token.expires_at,
                rotated_at=token.rotated_at,
            )
        )

    async def mark_rotated(self, token_hash: str, at: datetime) -> bool:
        result = await self._session.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.rotated_at.is_(None))
            .values(rotated_at=at)
            .returning(refresh_tokens.c.token_hash)
        )
        return result.first() is not None


class SqlPasswordResetTokenRepository(_Repository):
    async def get_by_hash(self, token_hash: str) -> PasswordResetToken | None:
        t = password_reset_tokens
        row = (await self._session.execute(select(t).where(t.c.token_hash == token_hash))).first()
        return rows.reset_token_from_row(row) if row else None

    async def add(self, token: PasswordResetToken) -> None:
        await self._session.execute(
            insert(password_reset_tokens).values(
                token_hash=token.token_hash,
                user_id=uuid.UUID(token.user_id),
                created_at=token.created_at,
                expires_at=token.expires_at,
                used_at=token.used_at,
            )
        )

    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        t = password_reset_tokens
        result = await self._session.execute(
            update(t)
            .where(t.c.token_hash == token_hash, t.c.used_at.is_(None))
            .values(used_at=at)
            .returning(t.c.token_hash)
        )
        return result.first() is not None

    async def invalidate_for_user(self, user_id: str, at: datetime) -> None:
        t = password_reset_tokens
        await self._session.execute(
            update(t).where(t.c.user_id == uuid.UUID(user_id), t.c.used_at.is_(None)).values(used_at=at)
        )


class SqlApiKeyRepository(_Repository):
    async def get(self, api_key_id: str) -> ApiKey | None:
        key = rows.as_uuid(api_key_id)
        if key is None:
            return None
        row = (await self._session.execute(select(api_keys).where(api_keys.c.id == key))).first()
        return rows.api_key_from_row(row) if row else None

    async def get_by_public_id(self, public_id: str) -> ApiKey | None:
        row = (await self._session.execute(select(api_keys).where(api_keys.c.public_id == public_id))).first()
        return rows.api_key_from_row(row) if row else None

    async def list_for_user(self, user_id: str) -> list[ApiKey]:
        key = rows.as_uuid(user_id)
        if key is None:
            return []
        result = await self._session.execute(
            select(api_keys).where(api_keys.c.user_id == key).order_by(api_keys.c.created_at.desc())
        )
        return [rows.api_key_from_row(row) for row in result]

    async def add(self, api_key: ApiKey) -> None:
        await self._session.execute(insert(api_keys).values(rows.api_key_values(api_key)))

    async def update(self, api_key: ApiKey) -> None:
        values = rows.api_key_values(api_key)
        await self._session.execute(update(api_keys).where(api_keys.c.id == values.pop("id")).values(values))


class SqlLoginAttemptRepository(_Repository):
    async def record_failure(self, *, email: str, ip_address: str, at: datetime) -> None:
        await self._session.execute(
            insert(login_attempts).values(
                email=email, ip_address=ip_address, succeeded=False, attempted_at=at
            )
        )

    async def account_failures_since(self, email: str, since: datetime) -> list[datetime]:
        return await self._failures(login_attempts.c.email == email, since)

    async def ip_failures_since(self, ip_address: str, since: datetime) -> list[datetime]:
        if not ip_address:
            return []
        return await self._failures(login_attempts.c.ip_address == ip_address, since)

    async def _failures(self, matches: object, since: datetime) -> list[datetime]:
        t = login_attempts
        result = await self._session.execute(
            select(t.c.attempted_at)
            .where(and_(matches, t.c.succeeded.is_(False), t.c.attempted_at > since))  # type: ignore[arg-type]
            .order_by(t.c.attempted_at)
        )
        return list(result.scalars())

    async def clear_account(self, email: str) -> None:
        await self._session.execute(delete(login_attempts).where(login_attempts.c.email == email))


class SqlSigningKeyRepository(_Repository):
    async def list_all(self) -> list[SigningKey]:
        result = await self._session.execute(select(signing_keys).order_by(signing_keys.c.created_at))
        return [rows.signing_key_from_row(row) for row in result]

    async def add(self, key: SigningKey) -> None:
        await self._session.execute(
            insert(signing_keys).values(
                kid=key.key_id,
                private_key_pem=key.private_key_pem,
                created_at=key.created_at,
                retired_at=key.retired_at,
            )
        )

    async def update(self, key: SigningKey) -> None:
        await self._session.execute(
            update(signing_keys).where(signing_keys.c.kid == key.key_id).values(retired_at=key.retired_at)
        )


class SqlPreferencesRepository(_Repository):
    async def get(self, user_id: str) -> Preferences | None:
        key = rows.as_uuid(user_id)
        if key is None:
            return None
        t = user_preferences
        row = (await self._session.execute(select(t).where(t.c.user_id == key))).first()
        return rows.preferences_from_row(row) if row else None

    async def save(self, user_id: str, preferences: Preferences) -> None:
        values = {**rows.preferences_values(user_id, preferences), "updated_at": func.now()}
        statement = pg_insert(user_preferences).values(values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[user_preferences.c.user_id],
                set_={k: statement.excluded[k] for k in values if k != "user_id"},
            )
        )
