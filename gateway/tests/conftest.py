"""Gateway test harness: an in-process fake AuthService (a real grpc.aio server), signing keys,
and the app driven in-process by httpx against real Redis and NATS from the eqr_testing plugin."""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from eqr.auth.v1 import auth_service_pb2 as pb
from eqr.auth.v1 import auth_service_pb2_grpc, resources_pb2
from eqr.common.v1 import paging_pb2
from eqr_gateway.app import create_app
from eqr_gateway.settings import GatewaySettings
from eqr_platform import bus
from eqr_platform.grpc import FieldViolation, ServiceError

ROLES = {
    "viewer": resources_pb2.ROLE_VIEWER,
    "analyst": resources_pb2.ROLE_ANALYST,
    "admin": resources_pb2.ROLE_ADMIN,
}
ROLE_NAMES = {value: name for name, value in ROLES.items()}


class SigningKeys:
    """The fake auth service's Ed25519 key, and tokens signed by it (or deliberately not)."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.kid = f"test-{uuid.uuid4().hex[:8]}"

    def jwks_json(self) -> str:
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key()))
        return json.dumps({"keys": [{**jwk, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]})

    def access_token(
        self,
        user_id: str,
        *,
        role: str = "viewer",
        session_id: str | None = None,
        expires_in: int = 900,
        key: Ed25519PrivateKey | None = None,
        kid: str | None = None,
        **overrides: Any,
    ) -> str:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": "eqr-auth",
            "aud": "eqr",
            "sub": user_id,
            "role": role,
            "scope": "",
            "iat": now - timedelta(seconds=5),
            "nbf": now - timedelta(seconds=5),
            "exp": now + timedelta(seconds=expires_in),
            "jti": uuid.uuid4().hex,
        }
        if session_id:
            claims["sid"] = session_id
        claims.update(overrides)
        return jwt.encode(claims, key or self.key, algorithm="EdDSA", headers={"kid": kid or self.kid})


def _now() -> Timestamp:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    return stamp


@dataclass
class Gate:
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Call:
    method: str
    request: Any
    metadata: dict[str, str]


def _rpc(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Records the call, then fails it if the test asked for that, else runs the canned behaviour."""

    @functools.wraps(method)
    async def handler(
        self: FakeAuthService, request: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> Any:
        metadata = {
            key: value for key, value in context.invocation_metadata() or () if isinstance(value, str)
        }
        self.calls.append(Call(method.__name__, request, metadata))
        gate = self.gates.get(method.__name__)
        if gate is not None:
            gate.arrived.set()
            await gate.release.wait()
        failure = self.failures.pop(method.__name__, None)
        if failure is not None:
            error, extra_trailers = failure
            status = error.to_status()
            await context.abort(status.code, status.details, (*status.trailing_metadata, *extra_trailers))
        return await method(self, request, context, metadata)

    return handler


@dataclass
class FakeAuthService(auth_service_pb2_grpc.AuthServiceServicer):
    """Canned AuthService: in-memory users, tokens from ``keys``, failures on demand."""

    keys: SigningKeys
    users: dict[str, resources_pb2.User] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    preferences: dict[str, resources_pb2.Preferences] = field(default_factory=dict)
    api_keys: dict[str, tuple[str, resources_pb2.ApiKey]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, tuple[ServiceError, tuple[tuple[str, str], ...]]] = field(default_factory=dict)
    gates: dict[str, Gate] = field(default_factory=dict)

    def fail_next(
        self,
        method: str,
        code: grpc.StatusCode,
        message: str,
        *,
        violations: list[FieldViolation] | None = None,
        retry_after_seconds: int | None = None,
        trailers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.failures[method] = (ServiceError(code, message, violations or [], retry_after_seconds), trailers)

    def hold(self, method: str) -> Gate:
        """Calls of ``method`` wait until ``gate.release`` is set; ``gate.arrived`` tells one came."""
        gate = self.gates[method] = Gate()
        return gate

    def last(self, method: str) -> Call:
        return next(call for call in reversed(self.calls) if call.method == method)

    def add_user(
        self, email: str, password: str = "correct horse battery", role: str = "viewer"
    ) -> resources_pb2.User:
        user = resources_pb2.User(
            id=str(uuid.uuid4()),
            email=email,
            full_name=email.split("@")[0],
            role=ROLES[role],
            is_active=True,
            created_at=_now(),
            updated_at=_now(),
        )
        self.users[user.id] = user
        self.passwords[user.id] = password
        return user

    def _token_pair(self, user: resources_pb2.User, session_id: str | None = None) -> resources_pb2.TokenPair:
        access = self.keys.access_token(
            user.id, role=ROLE_NAMES[user.role], session_id=session_id or str(uuid.uuid4())
        )
        return resources_pb2.TokenPair(
            access_token=access,
            refresh_token=f"rt-{user.id}",
            token_type="bearer",
            expires_in=900,
            refresh_expires_in=604800,
        )

    async def _caller(self, context: grpc.aio.ServicerContext[Any, Any], metadata: dict[str, str]) -> Any:
        token = metadata.get("authorization", "").removeprefix("Bearer ")
        if not token:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "an access token is required")
        claims = jwt.decode(token, options={"verify_signature": False})
        return self.users[claims["sub"]]

    @_rpc
    async def RegisterUser(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        if any(user.email == request.email for user in self.users.values()):
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, "an account with this email exists")
        user = self.add_user(request.email, request.password)
        user.full_name = request.full_name
        return pb.RegisterUserResponse(user=user)

    @_rpc
    async def CreateSession(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = next((u for u in self.users.values() if u.email == request.email), None)
        if user is None or self.passwords[user.id] != request.password:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid email or password")
        user.last_login_at.CopyFrom(_now())
        return pb.CreateSessionResponse(tokens=self._token_pair(user), user=user)

    @_rpc
    async def RefreshSession(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = self.users.get(request.refresh_token.removeprefix("rt-"))
        if user is None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "refresh token is not valid")
        return pb.RefreshSessionResponse(tokens=self._token_pair(user))

    @_rpc
    async def EndSession(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        return pb.EndSessionResponse()

    @_rpc
    async def ListSessions(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        session = resources_pb2.Session(
            id=str(uuid.uuid4()),
            user_agent=metadata.get("x-user-agent", ""),
            ip_address=metadata.get("x-client-ip", ""),
            created_at=_now(),
            expires_at=_now(),
            current=True,
        )
        return pb.ListSessionsResponse(sessions=[session])

    @_rpc
    async def RevokeSession(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        return pb.RevokeSessionResponse()

    @_rpc
    async def RequestPasswordReset(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return pb.RequestPasswordResetResponse()

    @_rpc
    async def ResetPassword(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return pb.ResetPasswordResponse()

    @_rpc
    async def ChangePassword(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        return pb.ChangePasswordResponse()

    @_rpc
    async def GetCurrentUser(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return pb.GetCurrentUserResponse(user=await self._caller(context, metadata))

    @_rpc
    async def UpdateCurrentUser(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = await self._caller(context, metadata)
        if request.HasField("full_name"):
            user.full_name = request.full_name
        if request.HasField("email"):
            user.email = request.email
        return pb.UpdateCurrentUserResponse(user=user)

    @_rpc
    async def GetPreferences(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = await self._caller(context, metadata)
        default = resources_pb2.Preferences(theme="system", timezone="UTC", currency="USD", locale="en-US")
        return pb.GetPreferencesResponse(preferences=self.preferences.get(user.id, default))

    @_rpc
    async def UpdatePreferences(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = await self._caller(context, metadata)
        current = self.preferences.setdefault(
            user.id, resources_pb2.Preferences(theme="system", timezone="UTC", currency="USD", locale="en-US")
        )
        for name in request.update_mask:
            if name == "watchlist":
                del current.watchlist[:]
                current.watchlist.extend(request.preferences.watchlist)
            else:
                setattr(current, name, getattr(request.preferences, name))
        return pb.UpdatePreferencesResponse(preferences=current)

    @_rpc
    async def ListUsers(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        users = sorted(
            (u for u in self.users.values() if request.query.lower() in (u.email + u.full_name).lower()),
            key=lambda u: u.id,
        )
        start = int(request.page.page_token or 0)
        end = start + request.page.page_size
        next_token = str(end) if end < len(users) else ""
        return pb.ListUsersResponse(
            users=users[start:end], page=paging_pb2.PageResponse(next_page_token=next_token)
        )

    @_rpc
    async def SetUserRole(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        user = self.users.get(request.user_id)
        if user is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        user.role = request.role
        return pb.SetUserRoleResponse(user=user)

    @_rpc
    async def DeactivateUser(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        user = self.users.get(request.user_id)
        if user is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        user.is_active = False
        return pb.DeactivateUserResponse(user=user)

    @_rpc
    async def CreateApiKey(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = await self._caller(context, metadata)
        secret = f"eqr_{uuid.uuid4().hex}"
        key = resources_pb2.ApiKey(
            id=str(uuid.uuid4()),
            name=request.name,
            prefix=secret[:10],
            scopes=request.scopes,
            created_at=_now(),
        )
        if request.HasField("expires_at"):
            key.expires_at.CopyFrom(request.expires_at)
        self.api_keys[secret] = (user.id, key)
        return pb.CreateApiKeyResponse(api_key=key, secret=secret)

    @_rpc
    async def ListApiKeys(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        user = await self._caller(context, metadata)
        return pb.ListApiKeysResponse(
            api_keys=[key for owner, key in self.api_keys.values() if owner == user.id]
        )

    @_rpc
    async def RevokeApiKey(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        await self._caller(context, metadata)
        return pb.RevokeApiKeyResponse()

    @_rpc
    async def ExchangeApiKey(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        if request.secret not in self.api_keys:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "API key is not valid")
        user = self.users[self.api_keys[request.secret][0]]
        token = self.keys.access_token(user.id, role=ROLE_NAMES[user.role], scope="portfolio:read")
        return pb.ExchangeApiKeyResponse(access_token=token, expires_in=900)

    @_rpc
    async def GetJwks(self, request: Any, context: Any, metadata: dict[str, str]) -> Any:
        return pb.GetJwksResponse(jwks_json=self.keys.jwks_json())


@pytest.fixture(scope="session")
def signing_keys() -> SigningKeys:
    return SigningKeys()


@pytest.fixture(scope="session")
async def fake_auth_server(signing_keys: SigningKeys) -> AsyncIterator[tuple[FakeAuthService, str]]:
    service = FakeAuthService(signing_keys)
    server = grpc.aio.server()
    auth_service_pb2_grpc.add_AuthServiceServicer_to_server(service, server)
    health_service = health.aio.HealthServicer()
    await health_service.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield service, f"127.0.0.1:{port}"
    await server.stop(grace=None)


@pytest.fixture
def fake_auth(fake_auth_server: tuple[FakeAuthService, str]) -> Iterator[FakeAuthService]:
    service, _ = fake_auth_server
    service.failures.clear()
    yield service
    service.failures.clear()
    service.gates.clear()


@pytest.fixture(scope="session")
async def auth_stream(nats_url: str) -> None:
    """The AUTH stream, as the auth service declares it, so the revocation feed can attach."""
    client, js = await bus.connect(nats_url, name="gateway-tests")
    await bus.ensure_streams(js, [bus.StreamSpec(name="AUTH", subjects=["eqr.auth.>"])])
    await client.close()


@pytest.fixture(scope="session")
def base_settings(
    fake_auth_server: tuple[FakeAuthService, str], redis_url: str, nats_url: str, auth_stream: None
) -> GatewaySettings:
    return GatewaySettings(auth_addr=fake_auth_server[1], redis_url=redis_url, nats_url=nats_url)


@asynccontextmanager
async def running_gateway(settings: GatewaySettings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield app, client


@pytest.fixture(scope="session")
async def gateway(base_settings: GatewaySettings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running_gateway(base_settings) as running:
        yield running


@pytest.fixture
def client(gateway: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return gateway[1]


@pytest.fixture
def make_gateway(base_settings: GatewaySettings) -> Callable[..., Any]:
    """``async with make_gateway(max_body_bytes=10) as (app, client):`` for non-default settings."""

    def factory(**overrides: Any) -> Any:
        return running_gateway(base_settings.model_copy(update=overrides))

    return factory


@dataclass
class SignedIn:
    user: resources_pb2.User
    session_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def sign_in(fake_auth: FakeAuthService, signing_keys: SigningKeys) -> Callable[..., SignedIn]:
    """A fresh user in the fake auth service and a valid access token of theirs."""

    def factory(role: str = "viewer") -> SignedIn:
        user = fake_auth.add_user(f"{uuid.uuid4().hex[:12]}@example.com", role=role)
        session_id = str(uuid.uuid4())
        token = signing_keys.access_token(user.id, role=role, session_id=session_id)
        return SignedIn(user, session_id, token)

    return factory


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is problem+json with every member of the gateway's problem shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"type", "title", "status", "detail", "instance", "request_id", "errors"}
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body


@pytest.fixture
def problem() -> Callable[[httpx.Response, int], dict[str, Any]]:
    return assert_problem
