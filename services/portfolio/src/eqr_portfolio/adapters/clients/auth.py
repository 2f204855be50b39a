"""The auth service behind the ``Directory`` port: looks people up on the caller's behalf."""

from __future__ import annotations

from uuid import UUID

import grpc

from eqr.auth.v1 import auth_service_pb2 as pb
from eqr.auth.v1.auth_service_pb2_grpc import AuthServiceStub
from eqr_platform.grpc.context import current_call
from eqr_portfolio.app.ports import UserRef


class GrpcDirectory:
    def __init__(self, channel: grpc.aio.Channel, *, timeout: float = 5.0) -> None:
        self._stub = AuthServiceStub(channel)
        self._timeout = timeout

    async def find_user(self, email: str) -> UserRef | None:
        token = current_call().access_token
        metadata = (("authorization", f"Bearer {token}"),) if token else ()
        try:
            response = await self._stub.LookupUser(
                pb.LookupUserRequest(email=email), metadata=metadata, timeout=self._timeout
            )
        except grpc.aio.AioRpcError as err:
            if err.code() in {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT}:
                return None
            raise
        return UserRef(UUID(response.user_id), response.email)
