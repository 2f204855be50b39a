"""Probes and the signing keys."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, str] = Field(
        examples=[{"redis": "ok", "auth": "ok", "market-data": "ok", "portfolio": "ok"}]
    )


class Jwks(BaseModel):
    """RFC 7517 JSON Web Key Set: the public keys that verify access tokens, by ``kid``."""

    keys: list[dict[str, Any]] = Field(
        examples=[
            [{"kty": "OKP", "crv": "Ed25519", "kid": "k1", "alg": "EdDSA", "use": "sig", "x": "11qYAYKx..."}]
        ]
    )
