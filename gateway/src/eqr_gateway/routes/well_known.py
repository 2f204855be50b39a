"""Public discovery documents: /.well-known/jwks.json."""

from __future__ import annotations

import json

from fastapi import APIRouter, Response

from eqr.auth.v1 import auth_service_pb2 as pb
from eqr_gateway.clients import PublicAuth
from eqr_gateway.openapi import problem_responses
from eqr_gateway.schemas.health import Jwks

router = APIRouter(tags=["well-known"])

JWKS_MAX_AGE_SECONDS = 300


@router.get(
    "/.well-known/jwks.json",
    summary="The public keys that verify access tokens",
    description="RFC 7517 key set; pick the key by the token's `kid`. Cacheable for five minutes.",
    responses=problem_responses(503),
)
async def jwks(response: Response, auth: PublicAuth) -> Jwks:
    reply = await auth.upstream.call(auth.stub.GetJwks, pb.GetJwksRequest())
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
    return Jwks.model_validate(json.loads(reply.jwks_json))
