"""Rows <-> domain objects. Ids are UUIDs in the database and text in the domain."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row

from eqr_auth.domain.api_keys import ApiKey
from eqr_auth.domain.password_reset import PasswordResetToken
from eqr_auth.domain.preferences import Preferences, Theme
from eqr_auth.domain.roles import Role
from eqr_auth.domain.sessions import RefreshToken, RevocationReason, Session
from eqr_auth.domain.tokens import SigningKey
from eqr_auth.domain.users import User


def as_uuid(text: str) -> uuid.UUID | None:
    """The UUID, or None for text that cannot be one (then no row can match it)."""
    try:
        return uuid.UUID(text)
    except (ValueError, TypeError):
        return None


def user_from_row(row: Row[Any]) -> User:
    return User(
        id=str(row.id),
        email=row.email,
        full_name=row.full_name,
        role=Role(row.role),
        password_hash=row.password_hash,
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_login_at=row.last_login_at,
    )


def user_values(user: User) -> dict[str, Any]:
    return {
        "id": uuid.UUID(user.id),
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role.value,
        "password_hash": user.password_hash,
        "is_active": user.is_active,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
        "last_login_at": user.last_login_at,
    }


def session_from_row(row: Row[Any]) -> Session:
    return Session(
        id=str(row.id),
        user_id=str(row.user_id),
        user_agent=row.user_agent,
        ip_address=row.ip_address,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revocation_reason=RevocationReason(row.revocation_reason) if row.revocation_reason else None,
    )


def session_values(session: Session) -> dict[str, Any]:
    return {
        "id": uuid.UUID(session.id),
        "user_id": uuid.UUID(session.user_id),
        "user_agent": session.user_agent,
        "ip_address": session.ip_address,
        "created_at": session.created_at,
        "last_used_at": session.last_used_at,
        "expires_at": session.expires_at,
        "revoked_at": session.revoked_at,
        "revocation_reason": session.revocation_reason.value if session.revocation_reason else None,
    }


def refresh_token_from_row(row: Row[Any]) -> RefreshToken:
    return RefreshToken(
        token_hash=row.token_hash,
        session_id=str(row.session_id),
        user_id=str(row.user_id),
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        rotated_at=row.rotated_at,
    )


def reset_token_from_row(row: Row[Any]) -> PasswordResetToken:
    return PasswordResetToken(
        token_hash=row.token_hash,
        user_id=str(row.user_id),
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


def api_key_from_row(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=str(row.id),
        user_id=str(row.user_id),
        name=row.name,
        public_id=row.public_id,
        secret_hash=row.secret_hash,
        scopes=tuple(row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def api_key_values(key: ApiKey) -> dict[str, Any]:
    return {
        "id": uuid.UUID(key.id),
        "user_id": uuid.UUID(key.user_id),
        "name": key.name,
        "public_id": key.public_id,
        "secret_hash": key.secret_hash,
        "scopes": list(key.scopes),
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
    }


def signing_key_from_row(row: Row[Any]) -> SigningKey:
    return SigningKey(
        key_id=row.kid,
        private_key_pem=row.private_key_pem,
        created_at=row.created_at,
        retired_at=row.retired_at,
    )


def preferences_from_row(row: Row[Any]) -> Preferences:
    return Preferences(
        theme=Theme(row.theme),
        timezone=row.timezone,
        currency=row.currency,
        locale=row.locale,
        watchlist=tuple(row.watchlist),
        dashboard_layout_json=row.dashboard_layout_json,
    )


def preferences_values(user_id: str, preferences: Preferences) -> dict[str, Any]:
    return {
        "user_id": uuid.UUID(user_id),
        "theme": preferences.theme.value,
        "timezone": preferences.timezone,
        "currency": preferences.currency,
        "locale": preferences.locale,
        "watchlist": list(preferences.watchlist),
        "dashboard_layout_json": preferences.dashboard_layout_json,
    }
