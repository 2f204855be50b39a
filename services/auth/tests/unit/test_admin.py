from dataclasses import replace
from datetime import timedelta

import pytest

from eqr_auth.app import admin, api_keys, sessions
from eqr_auth.domain.errors import (
    InvalidCredentials,
    InvalidToken,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from eqr_auth.domain.events import SessionRevoked, UserDeactivated, UserRoleChanged
from eqr_auth.domain.roles import Role
from eqr_auth.domain.sessions import RevocationReason
from eqr_auth.domain.users import ClientInfo


async def test_only_admins_may_administer(harness) -> None:
    analyst = await harness.signed_in()
    target = await harness.register("bob@example.com")
    with pytest.raises(PermissionDenied):
        await admin.list_users(harness.deps, analyst)
    with pytest.raises(PermissionDenied):
        await admin.set_user_role(harness.deps, analyst, user_id=target.id, role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        await admin.deactivate_user(harness.deps, analyst, user_id=target.id)


async def test_the_role_is_read_from_the_store_not_the_token(harness) -> None:
    boss = await harness.signed_in("boss@example.com", role=Role.ADMIN)
    user = harness.state.users[boss.user_id]
    harness.state.users[user.id] = replace(user, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        await admin.list_users(harness.deps, boss)


async def test_an_admin_token_without_the_admin_scope_is_not_enough(harness) -> None:
    boss = await harness.signed_in("boss@example.com", role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        await admin.list_users(harness.deps, replace(boss, scopes=("read",)))


async def test_users_are_listed_in_pages_with_a_filter(harness) -> None:
    boss = await harness.signed_in("boss@example.com", role=Role.ADMIN)
    for n in range(5):
        harness.clock.advance(timedelta(seconds=1))
        await harness.register(f"user{n}@example.com")
    first = await admin.list_users(harness.deps, boss, query="USER", page_size=2)
    assert [u.email for u in first.users] == ["user0@example.com", "user1@example.com"]
    second = await admin.list_users(
        harness.deps, boss, query="user", page_size=2, page_token=first.next_page_token
    )
    assert [u.email for u in second.users] == ["user2@example.com", "user3@example.com"]
    third = await admin.list_users(
        harness.deps, boss, query="user", page_size=2, page_token=second.next_page_token
    )
    assert [u.email for u in third.users] == ["user4@example.com"]
    assert third.next_page_token == ""
    everyone = await admin.list_users(harness.deps, boss)
    assert len(everyone.users) == 6


@pytest.mark.parametrize("token", ["garbage", "W10", "eyJhIjoxfQ", "WyJub3QgYSBkYXRlIiwieCJd"])
async def test_a_forged_page_token_names_the_field(harness, token: str) -> None:
    boss = await harness.signed_in("boss@example.com", role=Role.ADMIN)
    with pytest.raises(ValidationFailed) as caught:
        await admin.list_users(harness.deps, boss, page_token=token)
    assert caught.value.field == "page_token"


async def test_page_size_is_capped(harness) -> None:
    boss = await harness.signed_in("boss@example.com", role=Role.ADMIN)
    limited = harness.with_config(max_page_size=1)
    page = await admin.list_users(limited.deps, boss, page_size=1000)
    assert len(page.users) == 1


async def test_an_admin_changes_a_role(harness) -> None:
    boss = await harness.signed_in("boss@example.com", role=Role.ADMIN)
    target = await harness.register("bob@example.com")
    changed = await admin.set_user_role(harness.deps, boss, user_id=target.id, role=Role.VIEWER)
    assert changed.role == Role.VIEWER
    [event] = harness.store.events_of(UserRoleChanged)
    assert (event.user_id, event.actor_id, event.old_role, event.new_role) == (
        target.id,
        boss.user_id,
        Role.ANALYST,
        Role.VIEWER,
    )
    await admin.set_user_role(harness.deps, boss, user_id=target.id, role=Role.VIEWER)
    assert len(harness.store.events_of(UserRoleChanged)) == 1


async def test_a_role_change_ends_the_sessions_that_carry_the_old_role(harness) -> None:
    boss = await harness.signed_in("boss@example.com", role=Role.ADMIN)
    member = await harness.signed_in("bob@example.com")
    await admin.set_user_role(harness.deps, boss, user_id=member.user_id, role=Role.VIEWER)
    [revoked] = harness.store.events_of(SessionRevoked)
    assert (revoked.session_id, revoked.reason) == (member.session_id, RevocationReason.ROLE_CHANGED)
    with pytest.raises(InvalidToken):
        await sessions.list_sessions(harness.deps, member)


async def test_admins_cannot_demote_or_deactivate_themselves(harness) -> None:
    boss = await harness.signed_in("boss@example.com", role=Role.ADMIN)
    with pytest.raises(ValidationFailed):
        await admin.set_user_role(harness.deps, boss, user_id=boss.user_id, role=Role.VIEWER)
    with pytest.raises(ValidationFailed):
        await admin.deactivate_user(harness.deps, boss, user_id=boss.user_id)


async def test_unknown_users_are_not_found(harness) -> None:
    boss = await harness.signed_in("boss@example.com", role=Role.ADMIN)
    with pytest.raises(NotFound):
        await admin.set_user_role(harness.deps, boss, user_id="nobody", role=Role.VIEWER)
    with pytest.raises(NotFound):
        await admin.deactivate_user(harness.deps, boss, user_id="nobody")


async def test_deactivation_revokes_every_session_and_key(harness) -> None:
    boss = await harness.signed_in("boss@example.com", role=Role.ADMIN)
    victim = await harness.signed_in("bob@example.com")
    second = (await harness.login("bob@example.com")).tokens
    key = await api_keys.create_api_key(harness.deps, victim, name="script", scopes=["read"])

    user = await admin.deactivate_user(harness.deps, boss, user_id=victim.user_id)
    assert not user.is_active
    revoked = harness.store.events_of(SessionRevoked)
    assert len(revoked) == 2
    assert {event.reason for event in revoked} == {RevocationReason.DEACTIVATED}
    assert harness.store.events_of(UserDeactivated)[0].actor_id == boss.user_id
    with pytest.raises(InvalidToken):
        await sessions.refresh_session(harness.deps, refresh_token=second.refresh_token, client=ClientInfo())
    with pytest.raises(InvalidCredentials):
        await api_keys.exchange_api_key(harness.deps, secret=key.secret)

    await admin.deactivate_user(harness.deps, boss, user_id=victim.user_id)
    assert len(harness.store.events_of(UserDeactivated)) == 1
