import re
from dataclasses import replace
from datetime import timedelta

import jwt
import pytest

from eqr_auth.app import api_keys
from eqr_auth.domain.errors import InvalidCredentials, NotFound, PermissionDenied, ValidationFailed
from eqr_auth.domain.events import ApiKeyCreated, ApiKeyRevoked
from eqr_auth.domain.roles import Role


async def test_a_key_has_the_documented_shape_and_only_its_hash_is_stored(harness) -> None:
    principal = await harness.signed_in()
    created = await api_keys.create_api_key(
        harness.deps, principal, name=" nightly  export ", scopes=["read"]
    )
    assert re.fullmatch(r"eqr_[a-z0-9]{8}_[A-Za-z0-9_-]{43}", created.secret)
    key = created.api_key
    assert key.name == "nightly export"
    assert created.secret.startswith(key.display_prefix + "_")
    assert created.secret not in str(harness.state.api_keys)
    assert harness.store.events_of(ApiKeyCreated)[0].api_key_id == key.id
    assert await api_keys.list_api_keys(harness.deps, principal) == [key]


async def test_exchange_gives_a_short_lived_token_without_a_session(harness) -> None:
    principal = await harness.signed_in()
    created = await api_keys.create_api_key(
        harness.deps, principal, name="bot", scopes=["read", "research:write"]
    )
    harness.clock.advance(timedelta(minutes=1))
    access = await api_keys.exchange_api_key(harness.deps, secret=created.secret)
    assert access.expires_in == 15 * 60
    claims = jwt.decode(access.token, options={"verify_signature": False})
    assert "sid" not in claims
    assert claims["sub"] == principal.user_id
    assert claims["scope"] == "read research:write"
    assert harness.state.api_keys[created.api_key.id].last_used_at == harness.clock.now()


async def test_scopes_must_be_known_and_held(harness) -> None:
    principal = await harness.signed_in()
    with pytest.raises(ValidationFailed) as caught:
        await api_keys.create_api_key(harness.deps, principal, name="bot", scopes=["launch:missiles"])
    assert caught.value.field == "scopes"
    with pytest.raises(ValidationFailed):
        await api_keys.create_api_key(harness.deps, principal, name="bot", scopes=[])
    with pytest.raises(PermissionDenied):
        await api_keys.create_api_key(harness.deps, principal, name="bot", scopes=["users:admin"])


async def test_the_name_and_expiry_are_validated(harness) -> None:
    principal = await harness.signed_in()
    with pytest.raises(ValidationFailed) as caught:
        await api_keys.create_api_key(harness.deps, principal, name="  ", scopes=["read"])
    assert caught.value.field == "name"
    with pytest.raises(ValidationFailed) as caught:
        await api_keys.create_api_key(
            harness.deps, principal, name="bot", scopes=["read"], expires_at=harness.clock.now()
        )
    assert caught.value.field == "expires_at"


async def test_an_expired_key_cannot_be_exchanged(harness) -> None:
    principal = await harness.signed_in()
    created = await api_keys.create_api_key(
        harness.deps,
        principal,
        name="bot",
        scopes=["read"],
        expires_at=harness.clock.now() + timedelta(days=1),
    )
    await api_keys.exchange_api_key(harness.deps, secret=created.secret)
    harness.clock.advance(timedelta(days=1))
    with pytest.raises(InvalidCredentials):
        await api_keys.exchange_api_key(harness.deps, secret=created.secret)


async def test_a_revoked_key_cannot_be_exchanged(harness) -> None:
    principal = await harness.signed_in()
    created = await api_keys.create_api_key(harness.deps, principal, name="bot", scopes=["read"])
    await api_keys.revoke_api_key(harness.deps, principal, api_key_id=created.api_key.id)
    await api_keys.revoke_api_key(harness.deps, principal, api_key_id=created.api_key.id)
    assert len(harness.store.events_of(ApiKeyRevoked)) == 1
    with pytest.raises(InvalidCredentials):
        await api_keys.exchange_api_key(harness.deps, secret=created.secret)
    [listed] = await api_keys.list_api_keys(harness.deps, principal)
    assert listed.revoked_at == harness.clock.now()


async def test_someone_elses_key_is_not_found(harness) -> None:
    owner = await harness.signed_in()
    created = await api_keys.create_api_key(harness.deps, owner, name="bot", scopes=["read"])
    intruder = await harness.signed_in("eve@example.com")
    with pytest.raises(NotFound):
        await api_keys.revoke_api_key(harness.deps, intruder, api_key_id=created.api_key.id)


@pytest.mark.parametrize("mutation", ["flip_secret", "flip_prefix", "truncate", "garbage"])
async def test_a_wrong_key_is_refused(harness, mutation: str) -> None:
    principal = await harness.signed_in()
    secret = (await api_keys.create_api_key(harness.deps, principal, name="bot", scopes=["read"])).secret
    wrong = {
        "flip_secret": secret[:-1] + ("A" if secret[-1] != "A" else "B"),
        "flip_prefix": secret[:4] + ("0" if secret[4] != "0" else "1") + secret[5:],
        "truncate": secret[:-1],
        "garbage": "Bearer something",
    }[mutation]
    with pytest.raises(InvalidCredentials):
        await api_keys.exchange_api_key(harness.deps, secret=wrong)


async def test_a_demoted_owners_key_loses_the_scopes_the_role_lost(harness) -> None:
    principal = await harness.signed_in()
    created = await api_keys.create_api_key(
        harness.deps, principal, name="bot", scopes=["read", "research:write"]
    )
    user = harness.state.users[principal.user_id]
    harness.state.users[user.id] = replace(user, role=Role.VIEWER)
    access = await api_keys.exchange_api_key(harness.deps, secret=created.secret)
    assert jwt.decode(access.token, options={"verify_signature": False})["scope"] == "read"


async def test_keys_are_managed_from_a_signed_in_session_only(harness) -> None:
    principal = await harness.signed_in()
    created = await api_keys.create_api_key(harness.deps, principal, name="bot", scopes=["read"])
    key_principal = harness.principal_of(
        (await api_keys.exchange_api_key(harness.deps, secret=created.secret)).token
    )
    assert key_principal.session_id is None
    with pytest.raises(PermissionDenied):
        await api_keys.create_api_key(harness.deps, key_principal, name="child", scopes=["read"])
    with pytest.raises(PermissionDenied):
        await api_keys.revoke_api_key(harness.deps, key_principal, api_key_id=created.api_key.id)
