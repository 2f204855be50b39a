"""Revoked sessions: their access tokens stop working at once, not when they expire.

Access tokens are verified locally, so a logout or a revocation would otherwise leave the
session's tokens valid for up to their 15 minutes. The auth service announces every
revocation on ``eqr.auth.session.revoked``; the gateway keeps each revoked session id in
Redis a little longer than an access token can live and rejects its tokens meanwhile.

A session found in good standing is not asked about again for ``recheck_seconds`` (one
second): the Redis round trip was a tenth of the gateway's work on a cached quote. A
revocation this process records (logout, the event it consumed) takes effect at once; one
recorded by another gateway process, within that second.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import redis.asyncio as redis
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg

from eqr.auth.v1 import events_pb2
from eqr_platform import bus

log = logging.getLogger("eqr.gateway.denylist")

SESSION_REVOKED_SUBJECT = "eqr.auth.session.revoked"
CONSUMER = bus.ConsumerSpec(
    stream="AUTH", durable="gateway--session-denylist", filter_subject=SESSION_REVOKED_SUBJECT
)
_KEY_PREFIX = "eqr:gateway:revoked-session:"
_MAX_REMEMBERED_SESSIONS = 100_000


def revoked_session_key(session_id: str) -> str:
    return _KEY_PREFIX + session_id


class SessionDenylist:
    def __init__(self, store: redis.Redis, *, ttl_seconds: int, recheck_seconds: float = 1.0) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._recheck = recheck_seconds
        self._in_good_standing_until: dict[str, float] = {}

    async def revoke(self, session_id: str, *, revoked_at: datetime | None = None) -> None:
        """Deny the session's tokens for ``ttl_seconds`` from ``revoked_at`` (now when unset)."""
        elapsed = (datetime.now(UTC) - revoked_at).total_seconds() if revoked_at else 0.0
        remaining = int(self._ttl - max(elapsed, 0.0))
        if remaining > 0:
            self._in_good_standing_until.pop(session_id, None)
            await self._store.set(revoked_session_key(session_id), "1", ex=remaining)
            # A check that was in flight while the key was written may have just remembered it as good.
            self._in_good_standing_until.pop(session_id, None)

    async def is_revoked(self, session_id: str) -> bool:
        now = time.monotonic()
        if self._in_good_standing_until.get(session_id, 0.0) > now:
            return False
        revoked = bool(await self._store.exists(revoked_session_key(session_id)))
        if not revoked:
            if len(self._in_good_standing_until) >= _MAX_REMEMBERED_SESSIONS:
                self._in_good_standing_until.clear()
            self._in_good_standing_until[session_id] = now + self._recheck
        return revoked

    async def handle(self, message: Msg) -> None:
        try:
            event = events_pb2.SessionRevoked.FromString(message.data)
        except DecodeError:
            log.error("dropping undecodable session revocation", extra={"subject": message.subject})
            return
        if not event.session_id:
            return
        revoked_at = event.occurred_at.ToDatetime(tzinfo=UTC) if event.HasField("occurred_at") else None
        await self.revoke(event.session_id, revoked_at=revoked_at)
