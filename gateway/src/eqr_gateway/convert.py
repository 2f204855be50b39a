"""Protobuf <-> REST: every field mapped by name, so the JSON contract never drifts with a proto."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from google.protobuf.message import Message

from eqr.auth.v1 import resources_pb2
from eqr_gateway.schemas.account import ApiKey, CreatedApiKey, Preferences, PreferencesUpdate, Session
from eqr_gateway.schemas.auth import LoginResponse, TokenResponse, User
from eqr_gateway.schemas.fields import Role

ROLE_TO_PB: dict[Role, resources_pb2.Role.ValueType] = {
    "viewer": resources_pb2.ROLE_VIEWER,
    "analyst": resources_pb2.ROLE_ANALYST,
    "admin": resources_pb2.ROLE_ADMIN,
}
ROLE_FROM_PB: dict[resources_pb2.Role.ValueType, Role] = {pb: name for name, pb in ROLE_TO_PB.items()}


def optional_time(message: Message, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    stamp = getattr(message, field)
    moment: datetime = stamp.ToDatetime(tzinfo=UTC)
    return moment


def required_time(message: Message, field: str) -> datetime:
    moment = optional_time(message, field)
    if moment is None:
        raise ValueError(f"{type(message).__name__}.{field} is unset")
    return moment


def user_out(user: resources_pb2.User) -> User:
    return User(
        id=UUID(user.id),
        email=user.email,
        full_name=user.full_name,
        role=ROLE_FROM_PB[user.role],
        is_active=user.is_active,
        created_at=required_time(user, "created_at"),
        updated_at=required_time(user, "updated_at"),
        last_login_at=optional_time(user, "last_login_at"),
    )


def tokens_out(tokens: resources_pb2.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        refresh_expires_in=tokens.refresh_expires_in,
    )


def login_out(tokens: resources_pb2.TokenPair, user: resources_pb2.User) -> LoginResponse:
    return LoginResponse(**tokens_out(tokens).model_dump(), user=user_out(user))


def session_out(session: resources_pb2.Session) -> Session:
    return Session(
        id=UUID(session.id),
        user_agent=session.user_agent,
        ip_address=session.ip_address,
        created_at=required_time(session, "created_at"),
        last_used_at=optional_time(session, "last_used_at"),
        expires_at=required_time(session, "expires_at"),
        current=session.current,
    )


def api_key_out(key: resources_pb2.ApiKey) -> ApiKey:
    return ApiKey(
        id=UUID(key.id),
        name=key.name,
        prefix=key.prefix,
        scopes=list(key.scopes),
        created_at=required_time(key, "created_at"),
        expires_at=optional_time(key, "expires_at"),
        last_used_at=optional_time(key, "last_used_at"),
        revoked_at=optional_time(key, "revoked_at"),
    )


def created_api_key_out(key: resources_pb2.ApiKey, secret: str) -> CreatedApiKey:
    return CreatedApiKey(**api_key_out(key).model_dump(), secret=secret)


def _layout(raw: str) -> dict[str, Any]:
    try:
        layout = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return layout if isinstance(layout, dict) else {}


def preferences_out(preferences: resources_pb2.Preferences) -> Preferences:
    return Preferences(
        theme=preferences.theme if preferences.theme in ("light", "dark") else "system",
        timezone=preferences.timezone,
        currency=preferences.currency,
        locale=preferences.locale,
        watchlist=list(preferences.watchlist),
        dashboard_layout=_layout(preferences.dashboard_layout_json),
    )


def preferences_update_pb(update: PreferencesUpdate) -> tuple[resources_pb2.Preferences, list[str]]:
    """The changed preferences and their update mask (the proto field names present)."""
    present = {name: value for name, value in update.model_dump().items() if value is not None}
    preferences = resources_pb2.Preferences(
        theme=present.get("theme", ""),
        timezone=present.get("timezone", ""),
        currency=present.get("currency", ""),
        locale=present.get("locale", ""),
        watchlist=present.get("watchlist", []),
        dashboard_layout_json=json.dumps(present["dashboard_layout"])
        if "dashboard_layout" in present
        else "",
    )
    mask = ["dashboard_layout_json" if name == "dashboard_layout" else name for name in present]
    return preferences, mask
