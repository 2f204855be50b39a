"""The real options service (composition root and all) in-process on real PostgreSQL, with
market-data and auth faked by small gRPC servers: one underlying (AAPL at 190) and a signing key."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
import jwt
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eqr.auth.v1 import auth_service_pb2, auth_service_pb2_grpc
from eqr.market_data.v1 import market_data_service_pb2 as md
from eqr.market_data.v1 import market_data_service_pb2_grpc, resources_pb2
from eqr.options.v1 import options_service_pb2_grpc
from eqr_launcher.ports import free_port
from eqr_options import bootstrap
from eqr_options.settings import OptionsSettings
from eqr_platform.protobuf import date_pb, timestamp_pb
from eqr_testing.services import service_in_process

Context = Any
SPOT, PREVIOUS_CLOSE = 190.0, 188.0
BIG_MESSAGES = 256 * 1024 * 1024


class SigningKey:
    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.kid = f"test-{uuid.uuid4().hex[:8]}"

    def jwks_json(self) -> str:
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key()))
        return json.dumps({"keys": [{**jwk, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]})

    def token(self, user_id: str, *, expires_in: int = 900) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": "eqr-auth",
            "aud": "eqr",
            "sub": user_id,
            "role": "analyst",
            "scope": "",
            "iat": now - timedelta(seconds=5),
            "nbf": now - timedelta(seconds=5),
            "exp": now + timedelta(seconds=expires_in),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})


class FakeAuth(auth_service_pb2_grpc.AuthServiceServicer):
    def __init__(self, key: SigningKey) -> None:
        self._key = key

    async def GetJwks(
        self, request: auth_service_pb2.GetJwksRequest, context: Context
    ) -> auth_service_pb2.GetJwksResponse:
        return auth_service_pb2.GetJwksResponse(jwks_json=self._key.jwks_json())


class FakeMarketData(market_data_service_pb2_grpc.MarketDataServiceServicer):
    """AAPL only: a year of closes with daily log returns alternating ±1.5%, two dividends."""

    async def GetQuote(self, request: md.GetQuoteRequest, context: Context) -> md.GetQuoteResponse:
        if request.symbol != "AAPL":
            await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown symbol {request.symbol}")
        quote = resources_pb2.Quote(
            symbol="AAPL",
            price=SPOT,
            previous_close=PREVIOUS_CLOSE,
            source="simulator",
            timestamp=timestamp_pb(datetime.now(UTC)),
        )
        return md.GetQuoteResponse(quote=quote)

    async def BatchGetDailyCloses(
        self, request: md.BatchGetDailyClosesRequest, context: Context
    ) -> md.BatchGetDailyClosesResponse:
        response = md.BatchGetDailyClosesResponse()
        for query in request.queries:
            if query.symbol != "AAPL":
                response.unknown_symbols.append(query.symbol)
                continue
            end = date(query.end.year, query.end.month, query.end.day)
            days = [
                (end - timedelta(days=252 - i)).toordinal() - date(1970, 1, 1).toordinal() for i in range(252)
            ]
            closes = SPOT * np.exp(np.cumsum(np.tile([0.015, -0.015], 126)))
            if query.adjusted and end < datetime.now(UTC).date():
                closes = closes / 2  # a 2-for-1 split since: the same returns, half the past prices
            response.series.append(
                md.DailyCloses(
                    symbol="AAPL", adjusted=query.adjusted, days=days, closes=closes.tolist(), revision=1
                )
            )
        return response

    async def ListCorporateActions(
        self, request: md.ListCorporateActionsRequest, context: Context
    ) -> md.ListCorporateActionsResponse:
        if request.symbol != "AAPL":
            return md.ListCorporateActionsResponse()
        today = datetime.now(UTC).date()
        return md.ListCorporateActionsResponse(
            actions=[
                resources_pb2.CorporateAction(
                    symbol="AAPL", ex_date=date_pb(today - timedelta(days=d)), kind="dividend", dividend=0.25
                )
                for d in (30, 120)
            ]
        )


async def _server(
    add: Callable[[Any, grpc.aio.Server], None], servicer: object
) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server()
    add(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey()


@pytest.fixture(scope="session")
async def fakes(signing_key: SigningKey) -> AsyncIterator[tuple[str, str]]:
    auth, auth_addr = await _server(
        auth_service_pb2_grpc.add_AuthServiceServicer_to_server, FakeAuth(signing_key)
    )
    market, market_addr = await _server(
        market_data_service_pb2_grpc.add_MarketDataServiceServicer_to_server, FakeMarketData()
    )
    yield auth_addr, market_addr
    await auth.stop(None)
    await market.stop(None)


@pytest.fixture(scope="session")
async def options_settings(database_url: str, fakes: tuple[str, str]) -> OptionsSettings:
    auth_addr, market_addr = fakes
    return OptionsSettings.model_validate(
        {
            "DATABASE_URL": database_url,
            "GRPC_PORT": free_port(),
            "HTTP_PORT": 0,
            "AUTH_ADDR": auth_addr,
            "MARKET_DATA_ADDR": market_addr,
        }
    )


@pytest.fixture(scope="session")
async def options_stub(
    options_settings: OptionsSettings,
) -> AsyncIterator[options_service_pb2_grpc.OptionsServiceStub]:
    async with service_in_process(
        lambda stop: bootstrap.run(options_settings, stop=stop), options_settings.grpc_port
    ):
        channel = grpc.aio.insecure_channel(
            f"127.0.0.1:{options_settings.grpc_port}",
            options=[
                ("grpc.max_send_message_length", BIG_MESSAGES),
                ("grpc.max_receive_message_length", BIG_MESSAGES),
            ],
        )
        yield options_service_pb2_grpc.OptionsServiceStub(channel)
        await channel.close()
