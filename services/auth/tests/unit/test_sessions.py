from dataclasses import replace
from datetime import timedelta

import pytest

from eqr_auth.app import sessions
from eqr_auth.domain.errors import InvalidToken, NotFound, PermissionDenied, TokenReuseDetected
from eqr_auth.domain.events import SessionRevoked
from eqr_auth.domain.sessions import RevocationReason
from eqr_auth.domain.users import ClientInfo


async def refresh(harness, token: str):
    return await sessions.refresh_session(harness.deps, refresh_token=token, client=ClientInfo())


async def test_refresh_rotates_the_token_and_keeps_the_session(harness) -> None:
    await harness.register()
    first = (await harness.login()).tokens
    harness.clock.advance(timedelta(minutes=20))
    second = await refresh(harness, first.refresh_token)
    assert second.refresh_token != first.refresh_token
    old_sid = harness.principal_of(first.access_token).session_id
    assert harness.principal_of(second.access_token).session_id == old_sid
    session = harness.state.sessions[old_sid]
    assert session.last_used_at == harness.clock.now()
    assert session.expires_at == harness.clock.now() + timedelta(days=7)
    third = await refresh(harness, second.refresh_token)
    assert third.refresh_token not in {first.refresh_token, second.refresh_token}


async def test_only_hashes_of_refresh_tokens_are_stored(harness) -> None:
    await harness.register()
    tokens = (await harness.login()).tokens
    assert tokens.refresh_token not in harness.state.refresh_tokens
    assert all(len(token_hash) == 64 for token_hash in harness.state.refresh_tokens)


async def test_reusing_a_rotated_token_revokes_the_whole_family(harness) -> None:
    await harness.register()
    first = (await harness.login()).tokens
    second = await refresh(harness, first.refresh_token)
    with pytest.raises(TokenReuseDetected):
        await refresh(harness, first.refresh_token)
    session_id = harness.principal_of(first.access_token).session_id
    assert harness.state.sessions[session_id].revocation_reason == RevocationReason.REUSE_DETECTED
    [event] = harness.store.events_of(SessionRevoked)
    assert (event.session_id, event.reason) == (session_id, RevocationReason.REUSE_DETECTED)
    with pytest.raises(InvalidToken):
        await refresh(harness, second.refresh_token)


async def test_reuse_detection_leaves_other_sessions_alone(harness) -> None:
    await harness.register()
    stolen = (await harness.login()).tokens
    other = (await harness.login()).tokens
    await refresh(harness, stolen.refresh_token)
    with pytest.raises(TokenReuseDetected):
        await refresh(harness, stolen.refresh_token)
    await refresh(harness, other.refresh_token)


async def test_unknown_and_expired_refresh_tokens_are_invalid(harness) -> None:
    await harness.register()
    tokens = (await harness.login()).tokens
    with pytest.raises(InvalidToken):
        await refresh(harness, "not-a-token")
    harness.clock.advance(timedelta(days=7))
    with pytest.raises(InvalidToken):
        await refresh(harness, tokens.refresh_token)


async def test_a_deactivated_user_cannot_refresh(harness) -> None:
    user = await harness.register()
    tokens = (await harness.login()).tokens
    harness.state.users[user.id] = replace(user, is_active=False)
    with pytest.raises(InvalidToken):
        await refresh(harness, tokens.refresh_token)


async def test_logout_revokes_the_session_and_is_idempotent(harness) -> None:
    await harness.register()
    tokens = (await harness.login()).tokens
    principal = harness.principal_of(tokens.access_token)
    await sessions.end_session(harness.deps, principal)
    await sessions.end_session(harness.deps, principal)
    assert harness.state.sessions[principal.session_id].revocation_reason == RevocationReason.LOGOUT
    assert len(harness.store.events_of(SessionRevoked)) == 1
    with pytest.raises(InvalidToken):
        await refresh(harness, tokens.refresh_token)
    with pytest.raises(InvalidToken):
        await sessions.list_sessions(harness.deps, principal)


async def test_sessions_list_marks_the_current_one(harness) -> None:
    principal = await harness.signed_in()
    await harness.login()
    views = await sessions.list_sessions(harness.deps, principal)
    assert len(views) == 2
    assert [view.current for view in views if view.session.id == principal.session_id] == [True]
    assert sum(view.current for view in views) == 1


async def test_revoking_one_of_my_sessions(harness) -> None:
    principal = await harness.signed_in()
    other = harness.principal_of((await harness.login()).tokens.access_token)
    await sessions.revoke_session(harness.deps, principal, session_id=other.session_id)
    views = await sessions.list_sessions(harness.deps, principal)
    assert [view.session.id for view in views] == [principal.session_id]
    assert harness.store.events_of(SessionRevoked)[0].reason == RevocationReason.REVOKED


async def test_another_users_session_is_not_found(harness) -> None:
    mine = await harness.signed_in()
    theirs = await harness.signed_in("bob@example.com")
    with pytest.raises(NotFound):
        await sessions.revoke_session(harness.deps, mine, session_id=theirs.session_id)
    with pytest.raises(NotFound):
        await sessions.revoke_session(harness.deps, mine, session_id="no-such-session")
    assert harness.state.sessions[theirs.session_id].revoked_at is None


async def test_api_key_tokens_cannot_log_out(harness) -> None:
    principal = await harness.signed_in()
    with pytest.raises(PermissionDenied):
        await sessions.end_session(harness.deps, replace(principal, session_id=None))
