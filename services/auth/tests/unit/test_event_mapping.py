from datetime import UTC, datetime

import pytest

from eqr.auth.v1 import events_pb2, resources_pb2
from eqr_auth.adapters.events import to_message
from eqr_auth.domain import events
from eqr_auth.domain.roles import Role
from eqr_auth.domain.sessions import RevocationReason

AT = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

CASES = [
    (
        events.UserRegistered("u1", "a@b.co", Role.ANALYST, AT),
        "eqr.auth.user.registered",
        events_pb2.UserRegistered,
    ),
    (
        events.UserLoggedIn("u1", "s1", "1.2.3.4", "ua", AT),
        "eqr.auth.user.logged_in",
        events_pb2.UserLoggedIn,
    ),
    (
        events.UserLoginFailed(None, "1.2.3.4", events.LoginFailureReason.LOCKED, AT),
        "eqr.auth.user.login_failed",
        events_pb2.UserLoginFailed,
    ),
    (events.UserUpdated("u1", ("email",), AT), "eqr.auth.user.updated", events_pb2.UserUpdated),
    (
        events.PasswordResetRequested("u1", AT),
        "eqr.auth.user.password_reset_requested",
        events_pb2.UserPasswordResetRequested,
    ),
    (events.PasswordReset("u1", AT), "eqr.auth.user.password_reset", events_pb2.UserPasswordReset),
    (
        events.UserRoleChanged("u1", "a1", Role.ANALYST, Role.ADMIN, AT),
        "eqr.auth.user.role_changed",
        events_pb2.UserRoleChanged,
    ),
    (events.UserDeactivated("u1", "a1", AT), "eqr.auth.user.deactivated", events_pb2.UserDeactivated),
    (
        events.SessionRevoked("u1", "s1", RevocationReason.REUSE_DETECTED, AT),
        "eqr.auth.session.revoked",
        events_pb2.SessionRevoked,
    ),
    (events.ApiKeyCreated("u1", "k1", AT), "eqr.auth.api_key.created", events_pb2.ApiKeyCreated),
    (events.ApiKeyRevoked("u1", "k1", AT), "eqr.auth.api_key.revoked", events_pb2.ApiKeyRevoked),
]


@pytest.mark.parametrize(("event", "subject", "message_type"), CASES)
def test_every_event_has_its_subject_and_message(event, subject: str, message_type: type) -> None:
    actual_subject, message = to_message(event)
    assert actual_subject == subject
    assert isinstance(message, message_type)
    assert message.occurred_at.ToDatetime(tzinfo=UTC) == AT
    assert message.user_id == (event.user_id or "")


def test_every_domain_event_type_is_covered() -> None:
    assert {type(case[0]) for case in CASES} == set(events.DomainEvent.__args__)


def test_fields_are_carried_over() -> None:
    _, changed = to_message(events.UserRoleChanged("u1", "a1", Role.ANALYST, Role.ADMIN, AT))
    assert (changed.actor_id, changed.old_role, changed.new_role) == (
        "a1",
        resources_pb2.ROLE_ANALYST,
        resources_pb2.ROLE_ADMIN,
    )
    _, failed = to_message(events.UserLoginFailed(None, "1.2.3.4", events.LoginFailureReason.LOCKED, AT))
    assert (failed.user_id, failed.reason) == ("", "locked")
    _, revoked = to_message(events.SessionRevoked("u1", "s1", RevocationReason.REUSE_DETECTED, AT))
    assert revoked.reason == "reuse_detected"
