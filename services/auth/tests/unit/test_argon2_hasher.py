from eqr_auth.adapters.security.passwords import Argon2PasswordHasher

# Cheap parameters keep the tests fast; production uses the RFC 9106 defaults.
FAST = {"time_cost": 1, "memory_cost_kib": 8, "parallelism": 1}


async def test_hashes_are_argon2id_and_verify() -> None:
    hasher = Argon2PasswordHasher(**FAST)
    password_hash = await hasher.hash("violet tuesday cabinet")
    assert password_hash.startswith("$argon2id$")
    assert await hasher.verify(password_hash, "violet tuesday cabinet")
    assert not await hasher.verify(password_hash, "violet tuesday cabinet!")


async def test_unreadable_hashes_do_not_verify() -> None:
    hasher = Argon2PasswordHasher(**FAST)
    assert not await hasher.verify("not a hash", "anything at all")
    assert hasher.needs_rehash("not a hash")


async def test_changed_parameters_ask_for_a_rehash() -> None:
    old = await Argon2PasswordHasher(**FAST).hash("violet tuesday cabinet")
    stronger = Argon2PasswordHasher(time_cost=2, memory_cost_kib=8, parallelism=1)
    assert await stronger.verify(old, "violet tuesday cabinet")
    assert stronger.needs_rehash(old)
    assert not stronger.needs_rehash(await stronger.hash("violet tuesday cabinet"))


async def test_verifying_nothing_runs_a_real_verification() -> None:
    hasher = Argon2PasswordHasher(**FAST)
    await hasher.verify_nothing("whatever was typed")
    await hasher.verify_nothing("whatever was typed")
