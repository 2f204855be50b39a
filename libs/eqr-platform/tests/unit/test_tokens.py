"""Token verification against a JWKS, including the hostile cases."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from eqr_platform.tokens import ExpiredTokenError, JwksCache, TokenError, TokenVerifier


def _jwk(key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "EdDSA", "use": "sig"}


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": "eqr-auth",
        "aud": "eqr",
        "sub": str(uuid.uuid4()),
        "role": "analyst",
        "sid": "s-1",
        "scope": "read research:write",
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "jti": str(uuid.uuid4()),
    }
    claims.update(overrides)
    return claims


class Keys:
    def __init__(self) -> None:
        self.signing = Ed25519PrivateKey.generate()
        self.published = [_jwk(self.signing, "k1")]
        self.fetches = 0

    async def fetch(self) -> str:
        self.fetches += 1
        return json.dumps({"keys": self.published})


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def verifier(keys: Keys) -> TokenVerifier:
    return TokenVerifier(JwksCache(keys.fetch, min_refresh_seconds=0))


async def test_valid_token_yields_its_claims(keys: Keys, verifier: TokenVerifier) -> None:
    claims = _claims()
    token = jwt.encode(claims, keys.signing, algorithm="EdDSA", headers={"kid": "k1"})
    verified = await verifier.verify(token)
    assert verified.subject == claims["sub"]
    assert verified.role == "analyst"
    assert verified.session_id == "s-1"
    assert verified.scopes == ("read", "research:write")


async def test_expired_token_is_reported_as_expired(keys: Keys, verifier: TokenVerifier) -> None:
    past = int(time.time()) - 3600
    token = jwt.encode(
        _claims(iat=past, nbf=past, exp=past + 60), keys.signing, algorithm="EdDSA", headers={"kid": "k1"}
    )
    with pytest.raises(ExpiredTokenError):
        await verifier.verify(token)


async def test_token_signed_by_another_key_is_rejected(keys: Keys, verifier: TokenVerifier) -> None:
    token = jwt.encode(_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "k1"})
    with pytest.raises(TokenError, match="invalid"):
        await verifier.verify(token)


async def test_alg_none_and_hmac_are_rejected(keys: Keys, verifier: TokenVerifier) -> None:
    unsigned = jwt.encode(_claims(), None, algorithm="none", headers={"kid": "k1"})
    with pytest.raises(TokenError, match="algorithm"):
        await verifier.verify(unsigned)
    hmac = jwt.encode(_claims(), "k" * 32, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(TokenError, match="algorithm"):
        await verifier.verify(hmac)


async def test_tampered_payload_is_rejected(keys: Keys, verifier: TokenVerifier) -> None:
    token = jwt.encode(_claims(), keys.signing, algorithm="EdDSA", headers={"kid": "k1"})
    header, _payload, signature = token.split(".")
    forged = jwt.utils.base64url_encode(json.dumps(_claims(role="admin")).encode()).decode()
    with pytest.raises(TokenError):
        await verifier.verify(f"{header}.{forged}.{signature}")


@pytest.mark.parametrize("claim", ["iss", "aud"])
async def test_wrong_issuer_or_audience_is_rejected(keys: Keys, verifier: TokenVerifier, claim: str) -> None:
    token = jwt.encode(
        _claims(**{claim: "someone-else"}), keys.signing, algorithm="EdDSA", headers={"kid": "k1"}
    )
    with pytest.raises(TokenError):
        await verifier.verify(token)


async def test_missing_required_claim_is_rejected(keys: Keys, verifier: TokenVerifier) -> None:
    claims = _claims()
    del claims["role"]
    token = jwt.encode(claims, keys.signing, algorithm="EdDSA", headers={"kid": "k1"})
    with pytest.raises(TokenError):
        await verifier.verify(token)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "." * 3, "x" * 10_000])
async def test_garbage_is_rejected_as_malformed(verifier: TokenVerifier, garbage: str) -> None:
    with pytest.raises(TokenError):
        await verifier.verify(garbage)


async def test_unknown_kid_refetches_the_jwks_once(keys: Keys) -> None:
    verifier = TokenVerifier(JwksCache(keys.fetch, min_refresh_seconds=3600))
    await verifier.verify(jwt.encode(_claims(), keys.signing, algorithm="EdDSA", headers={"kid": "k1"}))
    assert keys.fetches == 1
    rotated = Ed25519PrivateKey.generate()
    token = jwt.encode(_claims(), rotated, algorithm="EdDSA", headers={"kid": "k2"})
    keys.published.append(_jwk(rotated, "k2"))
    # Within the refresh interval an unknown kid cannot force a refetch (no JWKS hammering).
    with pytest.raises(TokenError, match="unknown signing key"):
        await verifier.verify(token)
    assert keys.fetches == 1


async def test_rotation_is_picked_up_after_the_refresh_interval(keys: Keys, verifier: TokenVerifier) -> None:
    await verifier.verify(jwt.encode(_claims(), keys.signing, algorithm="EdDSA", headers={"kid": "k1"}))
    rotated = Ed25519PrivateKey.generate()
    keys.published.append(_jwk(rotated, "k2"))
    verified = await verifier.verify(jwt.encode(_claims(), rotated, algorithm="EdDSA", headers={"kid": "k2"}))
    assert verified.role == "analyst"
    assert keys.fetches == 2


async def test_a_verified_token_is_remembered_until_it_expires(
    keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = TokenVerifier(JwksCache(keys.fetch, min_refresh_seconds=0), remembered=2)
    now = int(time.time())
    token = jwt.encode(_claims(exp=now + 60), keys.signing, algorithm="EdDSA", headers={"kid": "k1"})
    first = await verifier.verify(token)
    keys.published.clear()  # a second verification from scratch would now fail
    assert await verifier.verify(token) is first
    monkeypatch.setattr("eqr_platform.tokens.time.time", lambda: now + 61.0)
    with pytest.raises(ExpiredTokenError):
        await verifier.verify(token)


async def test_forged_tokens_are_never_remembered(keys: Keys, verifier: TokenVerifier) -> None:
    forged = jwt.encode(_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "k1"})
    for _ in range(2):
        with pytest.raises(TokenError):
            await verifier.verify(forged)
