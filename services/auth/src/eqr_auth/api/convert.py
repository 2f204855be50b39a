"""Domain objects <-> auth protobuf messages."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from eqr.auth.v1 import resources_pb2
from eqr_auth.domain.api_keys import ApiKey
from eqr_auth.domain.errors import ValidationFailed
from eqr_auth.domain.preferences import Preferences, PreferencesDraft
from eqr_auth.domain.roles import Role
from eqr_auth.domain.sessions import SessionView
from eqr_auth.domain.tokens import TokenPair
from eqr_auth.domain.users import User
from eqr_platform.protobuf import timestamp_pb

ROLE_TO_PB = {
    Role.VIEWER: resources_pb2.ROLE_VIEWER,
    Role.ANALYST: resources_pb2.ROLE_ANALYST,
    Role.ADMIN: resources_pb2.ROLE_ADMIN,
}
PB_TO_ROLE = {value: key for key, value in ROLE_TO_PB.items()}


def timestamp(at: datetime | None) -> Timestamp | None:
    return None if at is None else timestamp_pb(at)


def role_from_pb(role: int, field: str = "role") -> Role:
    try:
        return PB_TO_ROLE[role]  # type: ignore[index]
    except KeyError:
        raise ValidationFailed.single(field, "must be viewer, analyst or admin") from None


def user_to_pb(user: User) -> resources_pb2.User:
    return resources_pb2.User(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=ROLE_TO_PB[user.role],
        is_active=user.is_active,
        created_at=timestamp(user.created_at),
        updated_at=timestamp(user.updated_at),
        last_login_at=timestamp(user.last_login_at),
    )


def tokens_to_pb(tokens: TokenPair) -> resources_pb2.TokenPair:
    return resources_pb2.TokenPair(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_type=tokens.token_type,
        expires_in=tokens.expires_in,
        refresh_expires_in=tokens.refresh_expires_in,
    )


def session_to_pb(view: SessionView) -> resources_pb2.Session:
    session = view.session
    return resources_pb2.Session(
        id=session.id,
        user_agent=session.user_agent,
        ip_address=session.ip_address,
        created_at=timestamp(session.created_at),
        last_used_at=timestamp(session.last_used_at),
        expires_at=timestamp(session.expires_at),
        current=view.current,
    )


def api_key_to_pb(key: ApiKey) -> resources_pb2.ApiKey:
    return resources_pb2.ApiKey(
        id=key.id,
        name=key.name,
        prefix=key.display_prefix,
        scopes=list(key.scopes),
        created_at=timestamp(key.created_at),
        expires_at=timestamp(key.expires_at),
        last_used_at=timestamp(key.last_used_at),
        revoked_at=timestamp(key.revoked_at),
    )


def preferences_to_pb(preferences: Preferences) -> resources_pb2.Preferences:
    return resources_pb2.Preferences(
        theme=preferences.theme.value,
        timezone=preferences.timezone,
        currency=preferences.currency,
        locale=preferences.locale,
        watchlist=list(preferences.watchlist),
        dashboard_layout_json=preferences.dashboard_layout_json,
    )


def preferences_draft(message: resources_pb2.Preferences) -> PreferencesDraft:
    return PreferencesDraft(
        theme=message.theme,
        timezone=message.timezone,
        currency=message.currency,
        locale=message.locale,
        watchlist=tuple(message.watchlist),
        dashboard_layout_json=message.dashboard_layout_json,
    )
