"""The real auth service (composition root and all) in-process, on real PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from eqr.auth.v1 import auth_service_pb2_grpc
from eqr_auth import bootstrap
from eqr_auth.settings import AuthSettings
from eqr_platform.grpc import create_channel


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
async def auth_settings(
    database_url: str, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AuthSettings:
    return AuthSettings.model_validate(
        {
            "DATABASE_URL": database_url,
            "NATS_URL": nats_url,
            "GRPC_PORT": _free_port(),
            "HTTP_PORT": 0,
            "AUTH_MAIL_DIR": str(tmp_path_factory.mktemp("mail")),
            "AUTH_LOCKOUT_IP_LIMIT": 1000,
        }
    )


@pytest.fixture(scope="session")
async def auth_stub(auth_settings: AuthSettings) -> AsyncIterator[auth_service_pb2_grpc.AuthServiceStub]:
    stop = asyncio.Event()
    service = asyncio.create_task(bootstrap.run(auth_settings, stop=stop))
    channel = create_channel(f"127.0.0.1:{auth_settings.grpc_port}")
    await asyncio.wait_for(channel.channel_ready(), 60)
    yield auth_service_pb2_grpc.AuthServiceStub(channel)
    await channel.close()
    stop.set()
    await asyncio.wait_for(service, 30)
