"""The real auth service (composition root and all) in-process, on real PostgreSQL and NATS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from eqr.auth.v1 import auth_service_pb2_grpc
from eqr_auth import bootstrap
from eqr_auth.settings import AuthSettings
from eqr_launcher.ports import free_port
from eqr_testing.services import service_in_process


@pytest.fixture(scope="session")
async def auth_settings(
    database_url: str, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AuthSettings:
    return AuthSettings.model_validate(
        {
            "DATABASE_URL": database_url,
            "NATS_URL": nats_url,
            "GRPC_PORT": free_port(),
            "HTTP_PORT": 0,
            "AUTH_MAIL_DIR": str(tmp_path_factory.mktemp("mail")),
            "AUTH_LOCKOUT_IP_LIMIT": 1000,
        }
    )


@pytest.fixture(scope="session")
async def auth_stub(auth_settings: AuthSettings) -> AsyncIterator[auth_service_pb2_grpc.AuthServiceStub]:
    async with service_in_process(
        lambda stop: bootstrap.run(auth_settings, stop=stop), auth_settings.grpc_port
    ) as channel:
        yield auth_service_pb2_grpc.AuthServiceStub(channel)
