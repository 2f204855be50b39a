from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from eqr_auth.app import password_reset, sessions
from eqr_auth.domain.errors import InvalidCredentials, InvalidToken, ValidationFailed
from eqr_auth.domain.events import PasswordReset, PasswordResetRequested, SessionRevoked
from eqr_auth.domain.sessions import RevocationReason
from eqr_auth.domain.users import ClientInfo

NEW_PASSWORD = "a brand new passphrase"


async def request_token(harness, email: str = "ada@example.com") -> str:
    await password_reset.request_password_reset(harness.deps, email=email)
    link = next(line for line in harness.mail.sent[-1].text.splitlines() if line.startswith("http"))
    return parse_qs(urlparse(link).query)["token"][0]


async def test_the_reset_link_is_mailed_and_only_its_hash_stored(harness) -> None:
    user = await harness.register()
    token = await request_token(harness, " Ada@Example.com ")
    [mail] = harness.mail.sent
    assert mail.to == "ada@example.com"
    assert "30 minutes" in mail.text
    assert token not in str(harness.state.reset_tokens)
    assert [event.user_id for event in harness.store.events_of(PasswordResetRequested)] == [user.id]


async def test_unknown_addresses_get_the_same_silent_answer(harness) -> None:
    await harness.register()
    assert await password_reset.request_password_reset(harness.deps, email="nobody@example.com") is None
    assert await password_reset.request_password_reset(harness.deps, email="") is None
    assert harness.mail.sent == []
    assert harness.state.reset_tokens == {}


async def test_a_mail_failure_does_not_reveal_the_account(harness) -> None:
    await harness.register()
    harness.mail.failing = True
    assert await password_reset.request_password_reset(harness.deps, email="ada@example.com") is None


async def test_reset_sets_the_password_and_ends_every_session(harness) -> None:
    await harness.register()
    tokens = (await harness.login()).tokens
    token = await request_token(harness)
    await password_reset.reset_password(harness.deps, token=token, new_password=NEW_PASSWORD)

    with pytest.raises(InvalidCredentials):
        await harness.login()
    await harness.login(password=NEW_PASSWORD)
    with pytest.raises(InvalidToken):
        await sessions.refresh_session(harness.deps, refresh_token=tokens.refresh_token, client=ClientInfo())
    assert [e.reason for e in harness.store.events_of(SessionRevoked)] == [RevocationReason.PASSWORD_RESET]
    assert len(harness.store.events_of(PasswordReset)) == 1


async def test_a_reset_token_works_once(harness) -> None:
    await harness.register()
    token = await request_token(harness)
    await password_reset.reset_password(harness.deps, token=token, new_password=NEW_PASSWORD)
    with pytest.raises(ValidationFailed) as caught:
        await password_reset.reset_password(harness.deps, token=token, new_password="yet another passphrase")
    assert caught.value.field == "token"


async def test_a_reset_token_expires_after_30_minutes(harness) -> None:
    await harness.register()
    token = await request_token(harness)
    harness.clock.advance(timedelta(minutes=30))
    with pytest.raises(ValidationFailed) as caught:
        await password_reset.reset_password(harness.deps, token=token, new_password=NEW_PASSWORD)
    assert caught.value.field == "token"


async def test_a_weak_new_password_keeps_the_token_usable(harness) -> None:
    await harness.register()
    token = await request_token(harness)
    with pytest.raises(ValidationFailed) as caught:
        await password_reset.reset_password(harness.deps, token=token, new_password="short")
    assert caught.value.field == "new_password"
    await password_reset.reset_password(harness.deps, token=token, new_password=NEW_PASSWORD)


async def test_a_reset_voids_the_other_open_links(harness) -> None:
    await harness.register()
    older = await request_token(harness)
    newer = await request_token(harness)
    await password_reset.reset_password(harness.deps, token=newer, new_password=NEW_PASSWORD)
    with pytest.raises(ValidationFailed):
        await password_reset.reset_password(harness.deps, token=older, new_password="yet another passphrase")


async def test_a_reset_lifts_the_account_lock(harness) -> None:
    await harness.register()
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            await harness.login(password="wrong password!")
    token = await request_token(harness)
    await password_reset.reset_password(harness.deps, token=token, new_password=NEW_PASSWORD)
    await harness.login(password=NEW_PASSWORD, ip="192.0.2.1")
