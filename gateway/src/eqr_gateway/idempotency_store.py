"""Where Idempotency-Key records live: a Redis key per (caller, route, key), locked while running."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis

from eqr_gateway.problems import ProblemError, invalid_field

HEADER = "Idempotency-Key"

# Finishes a record only while the caller still owns it (its lock may have expired meanwhile).
_FINISH_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current)['owner'] ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
return 1
"""


@dataclass(frozen=True)
class StoredResponse:
    status: int
    media_type: str | None
    body: bytes


class IdempotentReplay(Exception):  # a signal, not an error
    def __init__(self, response: StoredResponse) -> None:
        super().__init__("replay")
        self.response = response


class IdempotencyStore:
    def __init__(self, store: redis.Redis, *, ttl_seconds: int, lock_seconds: int) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._lock = lock_seconds
        self._finish = store.register_script(_FINISH_SCRIPT)

    async def claim(self, key: str, fingerprint: str) -> str:
        """Lock ``key`` for this request and return the owner token; otherwise raise what to answer."""
        owner = secrets.token_hex(16)
        pending = json.dumps({"state": "running", "fingerprint": fingerprint, "owner": owner})
        for _ in range(3):
            if await self._store.set(key, pending, nx=True, ex=self._lock):
                return owner
            raw = await self._store.get(key)
            if raw is None:
                continue  # expired or released between the two calls
            record: dict[str, Any] = json.loads(raw)
            if record["fingerprint"] != fingerprint:
                raise invalid_field(
                    f"header.{HEADER}", "was already used with a different request (path, query or body)"
                )
            if record["state"] == "running":
                raise ProblemError(
                    409, f"A request with this {HEADER} is still being processed; retry later."
                )
            raise IdempotentReplay(
                StoredResponse(record["status"], record["media_type"], base64.b64decode(record["body"]))
            )
        raise ProblemError(409, f"This {HEADER} is contended; retry later.")

    async def complete(self, key: str, owner: str, fingerprint: str, response: StoredResponse) -> None:
        record = {
            "state": "done",
            "fingerprint": fingerprint,
            "owner": owner,
            "status": response.status,
            "media_type": response.media_type,
            "body": base64.b64encode(response.body).decode(),
        }
        await self._finish(keys=[key], args=[owner, json.dumps(record), self._ttl])

    async def release(self, key: str, owner: str) -> None:
        await self._finish(keys=[key], args=[owner, "", 0])
