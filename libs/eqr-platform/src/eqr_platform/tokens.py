"""Local verification of the auth service's access tokens against its JWKS.

Every process that accepts access tokens (the gateway and the services) verifies them
itself: EdDSA signatures only, issuer and audience pinned, the key chosen by ``kid``
from a cached JWKS that is refetched when an unknown ``kid`` appears (key rotation).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

ACCESS_TOKEN_ISSUER = "eqr-auth"
ACCESS_TOKEN_AUDIENCE = "eqr"
ALGORITHM = "EdDSA"
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "nbf", "jti", "role"]


class TokenError(Exception):
    """The token cannot be trusted; ``reason`` is safe to show to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ExpiredTokenError(TokenError):
    pass


@dataclass(frozen=True)
class AccessClaims:
    subject: str
    role: str
    session_id: str | None
    scopes: tuple[str, ...]
    expires_at: datetime
    token_id: str


class JwksCache:
    """Holds the verification keys by ``kid``; refetches at most once per interval."""

    def __init__(
        self, fetch_jwks: Callable[[], Awaitable[str]], *, min_refresh_seconds: float = 30.0
    ) -> None:
        self._fetch = fetch_jwks
        self._min_refresh = min_refresh_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys:
            await self._refresh()
        try:
            return self._keys[kid]
        except KeyError:
            raise TokenError("unknown signing key") from None

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < self._min_refresh:
                return
            jwks = json.loads(await self._fetch())
            keys: dict[str, jwt.PyJWK] = {}
            for jwk in jwks.get("keys", []):
                if jwk.get("kid") and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                    keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm=ALGORITHM)
            self._keys = keys
            self._fetched_at = time.monotonic()


class TokenVerifier:
    """Verifies access tokens; a token already verified is remembered until it expires.

    The memory is bounded (``remembered`` tokens, oldest dropped first) and holds only tokens
    whose signature, issuer and audience checked out; a forged token is never remembered.
    Revocation is not the verifier's job: callers check their session denylist on every
    request either way.
    """

    def __init__(
        self,
        keys: JwksCache,
        *,
        issuer: str = ACCESS_TOKEN_ISSUER,
        audience: str = ACCESS_TOKEN_AUDIENCE,
        remembered: int = 10_000,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._remembered = remembered
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()

    async def verify(self, token: str) -> AccessClaims:
        known = self._verified.get(token)
        if known is not None:
            if known.expires_at.timestamp() > time.time():
                return known
            del self._verified[token]
            raise ExpiredTokenError("token has expired")
        claims = await self._verify(token)
        self._verified[token] = claims
        if len(self._verified) > self._remembered:
            self._verified.popitem(last=False)
        return claims

    async def _verify(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("malformed token") from None
        if header.get("alg") != ALGORITHM:
            raise TokenError("unsupported signing algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenError("token has no key id")
        key = await self._keys.key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise ExpiredTokenError("token has expired") from None
        except jwt.PyJWTError as exc:
            raise TokenError(f"invalid token: {exc}") from None
        return AccessClaims(
            subject=str(claims["sub"]),
            role=str(claims["role"]),
            session_id=claims.get("sid"),
            scopes=tuple(str(claims.get("scope", "")).split()),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            token_id=str(claims["jti"]),
        )
