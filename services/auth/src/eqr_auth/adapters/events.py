"""Domain events as the protobuf messages and subjects of the AUTH stream."""

from __future__ import annotations

from typing import assert_never

from google.protobuf.message import Message

from eqr.auth.v1 import events_pb2, resources_pb2
from eqr_auth.domain import events
from eqr_auth.domain.roles import Role
from eqr_platform.protobuf import timestamp_pb

ROLE_TO_PB: dict[Role, resources_pb2.Role.ValueType] = {
    Role.VIEWER: resources_pb2.ROLE_VIEWER,
    Role.ANALYST: resources_pb2.ROLE_ANALYST,
    Role.ADMIN: resources_pb2.ROLE_ADMIN,
}


def to_message(event: events.DomainEvent) -> tuple[str, Message]:
    """The subject and payload an event is published with."""
    at = timestamp_pb(event.occurred_at)
    match event:
        case events.UserRegistered():
            return "eqr.auth.user.registered", events_pb2.UserRegistered(
                user_id=event.user_id, email=event.email, role=ROLE_TO_PB[event.role], occurred_at=at
            )
        case events.UserLoggedIn():
            return "eqr.auth.user.logged_in", events_pb2.UserLoggedIn(
                user_id=event.user_id,
                session_id=event.session_id,
                ip_address=event.ip_address,
                user_agent=event.user_agent,
                occurred_at=at,
            )
        case events.UserLoginFailed():
            return "eqr.auth.user.login_failed", events_pb2.UserLoginFailed(
                user_id=event.user_id or "",
                ip_address=event.ip_address,
                reason=event.reason.value,
                occurred_at=at,
            )
        case events.UserUpdated():
            return "eqr.auth.user.updated", events_pb2.UserUpdated(
                user_id=event.user_id, fields=list(event.fields), occurred_at=at
            )
        case events.PasswordResetRequested():
            return "eqr.auth.user.password_reset_requested", events_pb2.UserPasswordResetRequested(
                user_id=event.user_id, occurred_at=at
            )
        case events.PasswordReset():
            return "eqr.auth.user.password_reset", events_pb2.UserPasswordReset(
                user_id=event.user_id, occurred_at=at
            )
        case events.UserRoleChanged():
            return "eqr.auth.user.role_changed", events_pb2.UserRoleChanged(
                user_id=event.user_id,
                actor_id=event.actor_id,
                old_role=ROLE_TO_PB[event.old_role],
                new_role=ROLE_TO_PB[event.new_role],
                occurred_at=at,
            )
        case events.UserDeactivated():
            return "eqr.auth.user.deactivated", events_pb2.UserDeactivated(
                user_id=event.user_id, actor_id=event.actor_id, occurred_at=at
            )
        case events.SessionRevoked():
            return "eqr.auth.session.revoked", events_pb2.SessionRevoked(
                user_id=event.user_id, session_id=event.session_id, reason=event.reason.value, occurred_at=at
            )
        case events.ApiKeyCreated():
            return "eqr.auth.api_key.created", events_pb2.ApiKeyCreated(
                user_id=event.user_id, api_key_id=event.api_key_id, occurred_at=at
            )
        case events.ApiKeyRevoked():
            return "eqr.auth.api_key.revoked", events_pb2.ApiKeyRevoked(
                user_id=event.user_id, api_key_id=event.api_key_id, occurred_at=at
            )
        case _:
            assert_never(event)
