"""API keys become short-lived access tokens, cached so a key costs one exchange per token life.

The cache is keyed by the SHA-256 of the key, never the key itself, and an entry expires a
little before its token does. Each user's entries are indexed, so revoking a key (or
deactivating its owner) drops the user's cached tokens at once: the next request
re-exchanges, and the auth service refuses a revoked key.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import redis.asyncio as redis
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg

from eqr.auth.v1 import auth_service_pb2, events_pb2
from eqr_gateway.grpc_calls import Upstream
from eqr_gateway.problems import unauthenticated
from eqr_platform import bus
from eqr_platform.tokens import AccessClaims, TokenError, TokenVerifier

if TYPE_CHECKING:
    from eqr.auth.v1.auth_service_pb2_grpc import AuthServiceAsyncStub

log = logging.getLogger("eqr.gateway.api_keys")

API_KEY_PATTERN = re.compile(r"eqr_[A-Za-z0-9_\-]{8,250}")
# Every auth event passes by; the ones that end a user's API-key tokens are handled.
CONSUMER = bus.ConsumerSpec(stream="AUTH", durable="gateway--api-key-cache", filter_subject="eqr.auth.>")
_EndingEvent = events_pb2.ApiKeyRevoked | events_pb2.UserDeactivated
_ENDING_EVENTS: dict[str, type[_EndingEvent]] = {
    "eqr.auth.api_key.revoked": events_pb2.ApiKeyRevoked,
    "eqr.auth.user.deactivated": events_pb2.UserDeactivated,
}
_TOKEN_PREFIX = "eqr:gateway:api-key-token:"
_INDEX_PREFIX = "eqr:gateway:api-key-tokens-of:"
_EXPIRY_MARGIN_SECONDS = 30


def api_key_cache_key(secret: str) -> str:
    return _TOKEN_PREFIX + hashlib.sha256(secret.encode()).hexdigest()


def _index_key(user_id: str) -> str:
    return _INDEX_PREFIX + user_id


class ApiKeyTokens:
    def __init__(self, store: redis.Redis, verifier: TokenVerifier, auth: AuthServiceAsyncStub) -> None:
        self._store = store
        self._verifier = verifier
        self._auth = auth

    async def authenticate(self, secret: str, upstream: Upstream) -> tuple[AccessClaims, str]:
        """The claims and access token standing for ``secret``; 401 for a key that is not valid."""
        if not API_KEY_PATTERN.fullmatch(secret):
            raise unauthenticated("The API key is malformed.")
        cache_key = api_key_cache_key(secret)
        cached = await self._store.get(cache_key)
        if isinstance(cached, str):
            try:
                return await self._verifier.verify(cached), cached
            except TokenError:
                await self._store.delete(cache_key)
        request = auth_service_pb2.ExchangeApiKeyRequest(secret=secret)
        response = await upstream.call(self._auth.ExchangeApiKey, request)
        token = response.access_token
        try:
            claims = await self._verifier.verify(token)
        except TokenError as exc:
            raise unauthenticated(f"The API key's access token is not valid: {exc.reason}") from None
        lifetime = min(response.expires_in, int((claims.expires_at - datetime.now(UTC)).total_seconds()))
        if (ttl := lifetime - _EXPIRY_MARGIN_SECONDS) > 0:
            index = _index_key(claims.subject)
            async with self._store.pipeline(transaction=True) as pipe:
                pipe.set(cache_key, token, ex=ttl)
                pipe.sadd(index, cache_key)
                pipe.expire(index, ttl)
                await pipe.execute()
        return claims, token

    async def forget_user(self, user_id: str) -> None:
        """Drop every cached token of the user's API keys."""
        index = _index_key(user_id)
        cached = await self._store.smembers(index)
        await self._store.delete(index, *cached)

    async def handle(self, message: Msg) -> None:
        event_type = _ENDING_EVENTS.get(message.subject)
        if event_type is None:
            return
        try:
            event: _EndingEvent = event_type.FromString(message.data)
        except DecodeError:
            log.error("dropping undecodable auth event", extra={"subject": message.subject})
            return
        if event.user_id:
            await self.forget_user(event.user_id)
