"""AuthService over real gRPC, PostgreSQL and JetStream: status codes, details, events."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from eqr.auth.v1 import auth_service_pb2 as pb
from eqr.auth.v1 import auth_service_pb2_grpc, events_pb2
from eqr_platform.grpc import decode_error

Stub = auth_service_pb2_grpc.AuthServiceStub
PASSWORD = "a-long-enough-passphrase"


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def status_of(exc_info: pytest.ExceptionInfo[grpc.aio.AioRpcError]) -> grpc.StatusCode:
    code: grpc.StatusCode = exc_info.value.code()
    return code


def _email() -> str:
    return f"api-{uuid.uuid4().hex[:10]}@example.com"


async def _login(stub: Stub, email: str, password: str = PASSWORD) -> pb.CreateSessionResponse:
    return await stub.CreateSession(pb.CreateSessionRequest(email=email, password=password))


async def _registered(stub: Stub) -> tuple[str, pb.CreateSessionResponse]:
    email = _email()
    await stub.RegisterUser(pb.RegisterUserRequest(email=email, password=PASSWORD, full_name="Api Test"))
    return email, await _login(stub, email)


async def test_register_login_and_whoami(auth_stub: Stub) -> None:
    email, login = await _registered(auth_stub)
    me = await auth_stub.GetCurrentUser(
        pb.GetCurrentUserRequest(), metadata=bearer(login.tokens.access_token)
    )
    assert me.user.email == email
    assert me.user.id == login.user.id


async def test_a_signed_in_user_looks_up_a_colleague_by_email(auth_stub: Stub) -> None:
    email, _ = await _registered(auth_stub)
    _, caller = await _registered(auth_stub)
    found = await auth_stub.LookupUser(
        pb.LookupUserRequest(email=email.upper()), metadata=bearer(caller.tokens.access_token)
    )
    assert found.email == email
    with pytest.raises(grpc.aio.AioRpcError) as exc_info:
        await auth_stub.LookupUser(
            pb.LookupUserRequest(email="nobody@example.com"), metadata=bearer(caller.tokens.access_token)
        )
    assert status_of(exc_info) == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as exc_info:
        await auth_stub.LookupUser(pb.LookupUserRequest(email=email))
    assert status_of(exc_info) == grpc.StatusCode.UNAUTHENTICATED


async def test_invalid_input_names_every_field(auth_stub: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as exc_info:
        await auth_stub.RegisterUser(pb.RegisterUserRequest(email="nope", password="short", full_name="x"))
    error = decode_error(exc_info.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {v.field for v in error.violations} == {"email", "password"}


async def test_calls_without_a_token_are_unauthenticated(auth_stub: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as exc_info:
        await auth_stub.GetCurrentUser(pb.GetCurrentUserRequest())
    assert status_of(exc_info) == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as exc_info:
        await auth_stub.GetCurrentUser(pb.GetCurrentUserRequest(), metadata=bearer("not.a.token"))
    assert status_of(exc_info) == grpc.StatusCode.UNAUTHENTICATED


async def test_lockout_carries_a_retry_hint(auth_stub: Stub) -> None:
    email, _ = await _registered(auth_stub)
    for _ in range(5):
        with pytest.raises(grpc.aio.AioRpcError):
            await _login(auth_stub, email, "wrong-password-here")
    with pytest.raises(grpc.aio.AioRpcError) as exc_info:
        await _login(auth_stub, email)
    error = decode_error(exc_info.value)
    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.retry_after_seconds is not None
    assert 0 < error.retry_after_seconds <= 900


async def test_concurrent_refreshes_with_one_token_let_one_win(auth_stub: Stub) -> None:
    _, login = await _registered(auth_stub)
    request = pb.RefreshSessionRequest(refresh_token=login.tokens.refresh_token)
    results = await asyncio.gather(
        *(auth_stub.RefreshSession(request) for _ in range(4)), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, pb.RefreshSessionResponse)]
    assert len(winners) == 1
    assert all(isinstance(r, grpc.aio.AioRpcError) for r in results if r not in winners)
    # The losers were reuse: the session is gone, the winner's token too.
    with pytest.raises(grpc.aio.AioRpcError) as exc_info:
        await auth_stub.RefreshSession(
            pb.RefreshSessionRequest(refresh_token=winners[0].tokens.refresh_token)
        )
    assert status_of(exc_info) == grpc.StatusCode.UNAUTHENTICATED


async def test_other_users_sessions_look_missing(auth_stub: Stub) -> None:
    _, mine = await _registered(auth_stub)
    _, theirs = await _registered(auth_stub)
    their_sessions = await auth_stub.ListSessions(
        pb.ListSessionsRequest(), metadata=bearer(theirs.tokens.access_token)
    )
    with pytest.raises(grpc.aio.AioRpcError) as exc_info:
        await auth_stub.RevokeSession(
            pb.RevokeSessionRequest(session_id=their_sessions.sessions[0].id),
            metadata=bearer(mine.tokens.access_token),
        )
    assert status_of(exc_info) == grpc.StatusCode.NOT_FOUND


async def test_registration_is_published_once_through_the_outbox(auth_stub: Stub, nats_url: str) -> None:
    _, login = await _registered(auth_stub)
    client = await nats.connect(nats_url)
    try:
        sub = await client.jetstream().subscribe(
            "eqr.auth.user.registered",
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        seen: list[str] = []
        deadline = asyncio.get_running_loop().time() + 10
        while asyncio.get_running_loop().time() < deadline:
            try:
                message = await sub.next_msg(timeout=0.5)
            except nats.errors.TimeoutError:
                if login.user.id in seen:
                    break
                continue
            seen.append(events_pb2.UserRegistered.FromString(message.data).user_id)
            assert message.headers
            assert message.headers.get("Nats-Msg-Id")
    finally:
        await client.close()
    assert seen.count(login.user.id) == 1


async def test_jwks_publishes_the_signing_key(auth_stub: Stub) -> None:
    _, login = await _registered(auth_stub)
    jwks = await auth_stub.GetJwks(pb.GetJwksRequest())
    assert '"kty": "OKP"' in jwks.jwks_json or '"kty":"OKP"' in jwks.jwks_json
    assert '"d"' not in jwks.jwks_json
    assert login.tokens.access_token
