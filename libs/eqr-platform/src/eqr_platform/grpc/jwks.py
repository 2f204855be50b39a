"""The auth service's public keys, fetched over gRPC, for a service's TokenVerifier."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from eqr.auth.v1 import auth_service_pb2, auth_service_pb2_grpc
from eqr_platform.grpc.client import create_channel


def jwks_from_auth_service(auth_addr: str) -> Callable[[], Awaitable[str]]:
    """A JWKS fetcher for ``JwksCache``: one short-lived channel per (rare) refresh."""

    async def fetch() -> str:
        async with create_channel(auth_addr) as channel:
            stub = auth_service_pb2_grpc.AuthServiceStub(channel)
            response = await stub.GetJwks(auth_service_pb2.GetJwksRequest())
        return response.jwks_json

    return fetch
