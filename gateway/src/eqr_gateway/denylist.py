"""Revoked sessions: their access tokens stop working at once, not when they expire.

Access tokens are verified locally, so a logout or a revocation would otherwise leave the
session's tokens valid for up to their 15 minutes. The auth service announces every
revocation on ``eqr.auth.session.revoked``; the gateway keeps each revoked session id in
Redis a little longer than an access token can live and rejects its tokens meanwhile.
"""

from __future__ import annotations

import logging
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


def revoked_session_key(session_id: str) -> str:
    return _KEY_PREFIX + session_id


class SessionDenylist:
    def __init__(self, store: redis.Redis, *, ttl_seconds: int) -> None:
        self._store = store
        self._ttl = ttl_seconds

    async def revoke(self, session_id: str, *, revoked_at: datetime | None = None) -> None:
        """Deny the session's tokens for ``ttl_seconds`` from ``revoked_at`` (now when unset)."""
        elapsed = (datetime.now(UTC) - revoked_at).total_seconds() if revoked_at else 0.0
        remaining = int(self._ttl - max(elapsed, 0.0))
        if remaining > 0:
            await self._store.set(revoked_session_key(session_id), "1", ex=remaining)

    async def is_revoked(self, session_id: str) -> bool:
        return bool(await self._store.exists(revoked_session_key(session_id)))

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
