import pytest

from eqr_auth.app import operators, sessions
from eqr_auth.domain.errors import InvalidToken, NotFound
from eqr_auth.domain.events import UserRoleChanged
from eqr_auth.domain.roles import Role


async def test_grant_admin_promotes_once_and_is_audited(harness) -> None:
    member = await harness.signed_in("first@example.com")
    promoted = await operators.grant_admin(harness.deps, email=" FIRST@example.com ")
    assert promoted.role == Role.ADMIN
    [event] = harness.store.events_of(UserRoleChanged)
    assert (event.actor_id, event.old_role, event.new_role) == (
        operators.OPERATOR_ACTOR,
        Role.ANALYST,
        Role.ADMIN,
    )
    # The old token carried "analyst": its session is over, a new login carries "admin".
    with pytest.raises(InvalidToken):
        await sessions.list_sessions(harness.deps, member)
    await operators.grant_admin(harness.deps, email="first@example.com")
    assert len(harness.store.events_of(UserRoleChanged)) == 1


async def test_grant_admin_needs_an_existing_account(harness) -> None:
    with pytest.raises(NotFound):
        await operators.grant_admin(harness.deps, email="nobody@example.com")
