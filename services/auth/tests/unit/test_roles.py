import pytest

from eqr_auth.domain.roles import Permission, Role, permissions_of, role_permits
from eqr_auth.domain.users import Principal


@pytest.mark.parametrize(
    ("role", "permission", "granted"),
    [
        (Role.VIEWER, Permission.READ, True),
        (Role.VIEWER, Permission.RESEARCH_WRITE, False),
        (Role.VIEWER, Permission.USERS_ADMIN, False),
        (Role.ANALYST, Permission.READ, True),
        (Role.ANALYST, Permission.RESEARCH_WRITE, True),
        (Role.ANALYST, Permission.USERS_ADMIN, False),
        (Role.ADMIN, Permission.READ, True),
        (Role.ADMIN, Permission.RESEARCH_WRITE, True),
        (Role.ADMIN, Permission.USERS_ADMIN, True),
    ],
)
def test_role_permissions(role: Role, permission: Permission, granted: bool) -> None:
    assert role_permits(role, permission) is granted


def test_roles_are_ordered_by_inclusion() -> None:
    assert permissions_of(Role.VIEWER) < permissions_of(Role.ANALYST) < permissions_of(Role.ADMIN)


def test_a_principal_needs_both_the_role_and_the_token_scope() -> None:
    narrow = Principal(user_id="u", session_id=None, scopes=("read",))
    assert narrow.holds(Role.ADMIN, Permission.READ)
    assert not narrow.holds(Role.ADMIN, Permission.USERS_ADMIN)
    wide = Principal(user_id="u", session_id="s", scopes=("read", "users:admin"))
    assert not wide.holds(Role.ANALYST, Permission.USERS_ADMIN)
