"""argon2id password hashing (RFC 9106), off the event loop."""

from __future__ import annotations

import asyncio

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

_DECOY_PASSWORD = "not a password of anyone"


class Argon2PasswordHasher:
    """The RFC 9106 low-memory profile by default: t=3, m=64 MiB, p=4.

    Hashes made with other parameters verify normally and report ``needs_rehash``.
    """

    def __init__(self, *, time_cost: int = 3, memory_cost_kib: int = 64 * 1024, parallelism: int = 4) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism, type=argon2.Type.ID
        )
        self._decoy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    async def verify_nothing(self, password: str) -> None:
        if self._decoy_hash is None:
            self._decoy_hash = await self.hash(_DECOY_PASSWORD)
        await self.verify(self._decoy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
