from dataclasses import replace

import pytest

from eqr_auth.app import accounts, sessions
from eqr_auth.domain.errors import EmailAlreadyRegistered, InvalidToken, PermissionDenied, ValidationFailed
from eqr_auth.domain.events import PasswordReset, SessionRevoked, UserRegistered, UserUpdated
from eqr_auth.domain.roles import Role
from eqr_auth.domain.sessions import RevocationReason
from eqr_auth.domain.users import ClientInfo


async def test_registration_creates_an_active_analyst(harness) -> None:
    user = await accounts.register_user(
        harness.deps,
        email=" Ada@Example.com",
        password="violet tuesday cabinet",
        full_name="  Ada   Lovelace ",
    )
    assert (user.email, user.full_name, user.role, user.is_active) == (
        "ada@example.com",
        "Ada Lovelace",
        Role.ANALYST,
        True,
    )
    assert user.password_hash == "fake$v1$violet tuesday cabinet"
    [event] = harness.store.events_of(UserRegistered)
    assert (event.user_id, event.email, event.role) == (user.id, user.email, Role.ANALYST)


async def test_emails_are_unique_case_insensitively(harness) -> None:
    await harness.register("ada@example.com")
    with pytest.raises(EmailAlreadyRegistered):
        await harness.register("ADA@example.com ")


async def test_registration_reports_every_bad_field_at_once(harness) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await accounts.register_user(
            harness.deps, email="not-an-email", password="short", full_name="x" * 201
        )
    assert {v.field for v in caught.value.violations} == {"email", "password", "full_name"}
    assert harness.store.commits == 0


async def test_the_current_user_can_change_name_and_email(harness) -> None:
    principal = await harness.signed_in()
    user = await accounts.update_current_user(
        harness.deps, principal, full_name="Augusta Ada King", email="Countess@Example.com"
    )
    assert (user.full_name, user.email) == ("Augusta Ada King", "countess@example.com")
    [event] = harness.store.events_of(UserUpdated)
    assert event.fields == ("full_name", "email")
    assert (await accounts.get_current_user(harness.deps, principal)).email == "countess@example.com"


async def test_an_update_without_changes_records_nothing(harness) -> None:
    principal = await harness.signed_in()
    commits = harness.store.commits
    await accounts.update_current_user(harness.deps, principal, full_name="Ada Lovelace", email=None)
    assert harness.store.commits == commits


async def test_an_email_in_use_cannot_be_taken(harness) -> None:
    await harness.register("bob@example.com")
    principal = await harness.signed_in()
    with pytest.raises(EmailAlreadyRegistered):
        await accounts.update_current_user(harness.deps, principal, email="BOB@example.com")


async def test_a_bad_email_update_names_the_field(harness) -> None:
    principal = await harness.signed_in()
    with pytest.raises(ValidationFailed) as caught:
        await accounts.update_current_user(harness.deps, principal, email="nope")
    assert caught.value.field == "email"


async def test_a_deactivated_users_token_is_refused(harness) -> None:
    principal = await harness.signed_in()
    user = harness.state.users[principal.user_id]
    harness.state.users[user.id] = replace(user, is_active=False)
    with pytest.raises(InvalidToken):
        await accounts.get_current_user(harness.deps, principal)


async def test_changing_the_password_ends_the_other_sessions(harness) -> None:
    principal = await harness.signed_in()
    other = harness.principal_of((await harness.login()).tokens.access_token)
    await accounts.change_password(
        harness.deps, principal, current_password="correct horse battery", new_password="a fresh long phrase"
    )
    await harness.login(password="a fresh long phrase")
    assert harness.state.sessions[principal.session_id].revoked_at is None
    assert harness.state.sessions[other.session_id].revocation_reason == RevocationReason.PASSWORD_RESET
    assert len(harness.store.events_of(PasswordReset)) == 1
    assert [e.session_id for e in harness.store.events_of(SessionRevoked)] == [other.session_id]


async def test_changing_the_password_checks_the_current_one_and_the_policy(harness) -> None:
    principal = await harness.signed_in()
    with pytest.raises(ValidationFailed) as caught:
        await accounts.change_password(
            harness.deps, principal, current_password="wrong password", new_password="a fresh long phrase"
        )
    assert caught.value.field == "current_password"
    with pytest.raises(ValidationFailed) as caught:
        await accounts.change_password(
            harness.deps, principal, current_password="correct horse battery", new_password="password1234"
        )
    assert caught.value.field == "new_password"


async def test_api_key_tokens_cannot_manage_the_account(harness) -> None:
    principal = replace(await harness.signed_in(), session_id=None)
    with pytest.raises(PermissionDenied):
        await accounts.change_password(
            harness.deps,
            principal,
            current_password="correct horse battery",
            new_password="a fresh long phrase",
        )
    with pytest.raises(PermissionDenied):
        await accounts.update_current_user(harness.deps, principal, full_name="Mallory")


async def test_the_demo_user_is_created_once(harness) -> None:
    first = await accounts.ensure_demo_user(
        harness.deps, email="demo@eqr.dev", password="research tuesday 2025"
    )
    second = await accounts.ensure_demo_user(
        harness.deps, email="DEMO@eqr.dev", password="research tuesday 2025"
    )
    assert first == second
    assert first.role == Role.ANALYST
    assert len(harness.store.events_of(UserRegistered)) == 1
    client = ClientInfo(ip_address="127.0.0.1", user_agent="seed")
    result = await sessions.login(
        harness.deps, email="demo@eqr.dev", password="research tuesday 2025", client=client
    )
    assert result.user.id == first.id


async def test_the_demo_seed_can_create_an_admin(harness) -> None:
    admin = await accounts.ensure_demo_user(
        harness.deps,
        email="admin@eqr.dev",
        password="keys to the kingdom",
        full_name="Admin",
        role=Role.ADMIN,
    )
    assert admin.role == Role.ADMIN
