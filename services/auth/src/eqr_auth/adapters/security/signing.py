"""Ed25519 (EdDSA) access tokens, key ids by RFC 7638 thumbprint, and the JWKS.

Keys travel as PKCS#8 PEM (what the db adapter stores); the public half is derived
whenever it is needed, so the stored key and its published JWK cannot disagree.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from eqr_auth.domain.tokens import AccessTokenClaims, SigningKey

ALGORITHM = "EdDSA"
ISSUER = "eqr-auth"
AUDIENCE = "eqr"


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The RFC 8037 members of an Ed25519 public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    required = {name: jwk[name] for name in ("crv", "kty", "x")}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def load_private_key(key: SigningKey) -> Ed25519PrivateKey:
    private_key = serialization.load_pem_private_key(key.private_key_pem.encode(), password=None)
    if not isinstance(private_key, Ed25519PrivateKey):
        raise ValueError(f"signing key {key.key_id} is not an Ed25519 key")
    return private_key


def jwks_document(keys: Iterable[SigningKey]) -> str:
    """The JSON Web Key Set (RFC 7517) of the public halves of ``keys``."""
    entries = [
        {**public_jwk(load_private_key(key).public_key()), "kid": key.key_id, "use": "sig", "alg": ALGORITHM}
        for key in keys
    ]
    return json.dumps({"keys": entries}, separators=(",", ":"))


class Ed25519TokenSigner:
    def __init__(self, *, issuer: str = ISSUER, audience: str = AUDIENCE) -> None:
        self._issuer = issuer
        self._audience = audience
        self._loaded: dict[str, Ed25519PrivateKey] = {}

    def generate_key(self, created_at: datetime) -> SigningKey:
        private_key = Ed25519PrivateKey.generate()
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        key_id = jwk_thumbprint(public_jwk(private_key.public_key()))
        self._loaded[key_id] = private_key
        return SigningKey(key_id=key_id, private_key_pem=pem, created_at=created_at)

    def sign(self, claims: AccessTokenClaims, key: SigningKey) -> str:
        payload: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": claims.subject,
            "role": claims.role.value,
            "scope": " ".join(claims.scopes),
            "iat": int(claims.issued_at.timestamp()),
            "nbf": int(claims.issued_at.timestamp()),
            "exp": int(claims.expires_at.timestamp()),
            "jti": claims.token_id,
        }
        if claims.session_id is not None:
            payload["sid"] = claims.session_id
        return jwt.encode(payload, self._private_key(key), algorithm=ALGORITHM, headers={"kid": key.key_id})

    def jwks_json(self, keys: Iterable[SigningKey]) -> str:
        return jwks_document(keys)

    def _private_key(self, key: SigningKey) -> Ed25519PrivateKey:
        if key.key_id not in self._loaded:
            self._loaded[key.key_id] = load_private_key(key)
        return self._loaded[key.key_id]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
