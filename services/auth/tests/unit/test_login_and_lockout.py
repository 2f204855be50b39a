from datetime import timedelta

import pytest

from eqr_auth.app import sessions
from eqr_auth.domain.errors import AccountInactive, AccountLocked, InvalidCredentials
from eqr_auth.domain.events import LoginFailureReason, UserLoggedIn, UserLoginFailed
from eqr_auth.domain.users import ClientInfo


async def test_login_opens_a_session_with_a_token_pair(harness) -> None:
    user = await harness.register()
    result = await harness.login("  ADA@example.com ")
    assert result.user.id == user.id
    assert result.user.last_login_at == harness.clock.now()
    assert result.tokens.token_type == "Bearer"
    assert result.tokens.expires_in == 15 * 60
    assert result.tokens.refresh_expires_in == 7 * 24 * 3600
    principal = harness.principal_of(result.tokens.access_token)
    assert principal.user_id == user.id
    assert principal.scopes == ("read", "research:write")
    session = harness.state.sessions[principal.session_id]
    assert (session.ip_address, session.user_agent) == ("198.51.100.7", "pytest")
    [event] = harness.store.events_of(UserLoggedIn)
    assert event.session_id == session.id


async def test_wrong_password_and_unknown_email_fail_alike(harness) -> None:
    await harness.register()
    with pytest.raises(InvalidCredentials) as wrong_password:
        await harness.login(password="not the password")
    with pytest.raises(InvalidCredentials) as unknown_email:
        await harness.login("nobody@example.com")
    assert str(wrong_password.value) == str(unknown_email.value)
    assert harness.hasher.decoy_verifications == 1
    reasons = [event.reason for event in harness.store.events_of(UserLoginFailed)]
    assert reasons == [LoginFailureReason.BAD_CREDENTIALS] * 2


async def test_five_failures_lock_the_account_even_for_the_right_password(harness) -> None:
    await harness.register()
    for attempt in range(5):
        with pytest.raises(InvalidCredentials):
            await harness.login(password=f"wrong password {attempt}", ip=f"203.0.113.{attempt}")
    with pytest.raises(AccountLocked) as locked:
        await harness.login(ip="192.0.2.99")
    assert locked.value.retry_after_seconds == 15 * 60
    assert harness.store.events_of(UserLoginFailed)[-1].reason == LoginFailureReason.LOCKED

    harness.clock.advance(timedelta(minutes=15))
    await harness.login()


async def test_attempts_while_locked_do_not_extend_the_lock(harness) -> None:
    await harness.register()
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            await harness.login(password="wrong password!")
    harness.clock.advance(timedelta(minutes=10))
    with pytest.raises(AccountLocked) as locked:
        await harness.login(password="still wrong!!")
    assert locked.value.retry_after_seconds == 5 * 60


async def test_a_success_clears_the_account_counter(harness) -> None:
    await harness.register()
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            await harness.login(password="wrong password!")
    await harness.login()
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            await harness.login(password="wrong password!")
    await harness.login()


async def test_twenty_failures_from_one_address_lock_that_address(harness) -> None:
    await harness.register()
    for n in range(20):
        with pytest.raises(InvalidCredentials):
            await harness.login(f"guess{n}@example.com", ip="203.0.113.66")
    with pytest.raises(AccountLocked):
        await harness.login(ip="203.0.113.66")
    await harness.login(ip="203.0.113.67")


async def test_a_deactivated_account_cannot_log_in(harness) -> None:
    user = await harness.register()
    harness.state.users[user.id] = type(user)(**{**user.__dict__, "is_active": False})
    with pytest.raises(AccountInactive):
        await harness.login()
    with pytest.raises(InvalidCredentials):
        await harness.login(password="wrong password!")


async def test_an_outdated_hash_is_replaced_on_login(harness) -> None:
    user = await harness.register()
    assert harness.state.users[user.id].password_hash.startswith("fake$v1$")
    harness.hasher.version = "v2"
    await harness.login()
    assert harness.state.users[user.id].password_hash.startswith("fake$v2$")


async def test_overlong_passwords_are_refused_without_hashing(harness) -> None:
    await harness.register()
    with pytest.raises(InvalidCredentials):
        await sessions.login(harness.deps, email="x@example.com", password="p" * 10_000, client=ClientInfo())
    assert harness.hasher.decoy_verifications == 0
