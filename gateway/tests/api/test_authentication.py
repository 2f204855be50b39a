"""Bearer tokens are verified locally (EdDSA, JWKS from the auth service); API keys are exchanged once."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from eqr.auth.v1 import events_pb2
from eqr_gateway.api_keys import api_key_cache_key
from eqr_gateway.denylist import SESSION_REVOKED_SUBJECT, revoked_session_key
from eqr_platform import bus

Problem = Callable[[httpx.Response, int], dict[str, Any]]
ME = "/api/v1/auth/me"


def _invalid_token(response: httpx.Response) -> bool:
    return 'error="invalid_token"' in response.headers.get("www-authenticate", "")


async def test_missing_credentials_are_401_with_a_challenge(
    client: httpx.AsyncClient, problem: Problem
) -> None:
    response = await client.get(ME)
    problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="eqr"'


async def test_a_valid_token_reaches_the_service(
    client: httpx.AsyncClient, sign_in: Callable[..., Any], fake_auth: Any
) -> None:
    me = sign_in()
    response = await client.get(
        ME, headers={**me.headers, "user-agent": "pytest/1.0", "x-request-id": "req-123"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == me.user.id
    metadata = fake_auth.last("GetCurrentUser").metadata
    assert metadata["authorization"] == f"Bearer {me.token}"
    assert metadata["x-request-id"] == "req-123"
    assert metadata["x-client-ip"] == "203.0.113.7"
    assert metadata["x-user-agent"] == "pytest/1.0"


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _unsigned(user_id: str) -> str:
    claims = {"iss": "eqr-auth", "aud": "eqr", "sub": user_id, "role": "admin", "exp": 9999999999}
    return jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda keys, me: keys.access_token(me.user.id, expires_in=-60), "expired"),
        (lambda keys, me: _tampered(me.token), "signature"),
        (lambda keys, me: _unsigned(me.user.id), "algorithm"),
        (
            lambda keys, me: jwt.encode(
                {"sub": me.user.id, "role": "admin"},
                "a-shared-secret-an-attacker-might-try-to-use",
                algorithm="HS256",
                headers={"kid": keys.kid},
            ),
            "algorithm",
        ),
        (lambda keys, me: keys.access_token(me.user.id, key=Ed25519PrivateKey.generate()), "signature"),
        (lambda keys, me: keys.access_token(me.user.id, kid="some-other-kid"), "key"),
        (lambda keys, me: keys.access_token(me.user.id, iss="evil"), "iss"),
        (lambda keys, me: keys.access_token(me.user.id, aud="other"), "aud"),
        (lambda keys, me: "not.a.jwt", "malformed"),
        (lambda keys, me: "x" * 9000, "malformed"),
    ],
    ids=[
        "expired",
        "tampered",
        "alg-none",
        "hs256",
        "other-key",
        "unknown-kid",
        "issuer",
        "audience",
        "garbage",
        "huge",
    ],
)
async def test_bad_tokens_are_401_invalid_token(
    client: httpx.AsyncClient,
    problem: Problem,
    sign_in: Callable[..., Any],
    signing_keys: Any,
    forge: Callable[[Any, Any], str],
    reason: str,
    fake_auth: Any,
) -> None:
    me = sign_in()
    calls_before = len([c for c in fake_auth.calls if c.method == "GetCurrentUser"])
    response = await client.get(ME, headers={"Authorization": f"Bearer {forge(signing_keys, me)}"})
    body = problem(response, 401)
    assert _invalid_token(response)
    assert reason in body["detail"].lower() or reason in response.headers["www-authenticate"].lower()
    assert len([c for c in fake_auth.calls if c.method == "GetCurrentUser"]) == calls_before


async def test_other_schemes_are_401(client: httpx.AsyncClient, problem: Problem) -> None:
    body = problem(await client.get(ME, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    assert "Bearer" in body["detail"]


async def test_both_kinds_of_credentials_is_400(
    client: httpx.AsyncClient, problem: Problem, sign_in: Callable[..., Any]
) -> None:
    me = sign_in()
    problem(await client.get(ME, headers={**me.headers, "X-API-Key": "eqr_abcdefgh12345678"}), 400)


async def test_admin_routes_need_the_admin_role(
    client: httpx.AsyncClient, problem: Problem, sign_in: Callable[..., Any]
) -> None:
    for role in ("viewer", "analyst"):
        body = problem(await client.get("/api/v1/admin/users", headers=sign_in(role).headers), 403)
        assert "admin" in body["detail"]
    assert (await client.get("/api/v1/admin/users", headers=sign_in("admin").headers)).status_code == 200


async def test_a_denylisted_session_is_refused(
    gateway: tuple[FastAPI, httpx.AsyncClient], problem: Problem, sign_in: Callable[..., Any]
) -> None:
    app, client = gateway
    me = sign_in()
    assert (await client.get(ME, headers=me.headers)).status_code == 200
    await app.state.resources.denylist.revoke(me.session_id)
    body = problem(await client.get(ME, headers=me.headers), 401)
    assert "session" in body["detail"]


async def test_logout_ends_the_session_at_once(
    gateway: tuple[FastAPI, httpx.AsyncClient], problem: Problem, sign_in: Callable[..., Any]
) -> None:
    app, client = gateway
    me = sign_in()
    response = await client.post("/api/v1/auth/logout", headers=me.headers)
    assert response.status_code == 204
    assert await app.state.resources.redis.ttl(revoked_session_key(me.session_id)) > 15 * 60
    problem(await client.get(ME, headers=me.headers), 401)


async def test_revoking_a_session_ends_it_at_once(
    client: httpx.AsyncClient, problem: Problem, sign_in: Callable[..., Any]
) -> None:
    me = sign_in()
    other = sign_in()
    other.session_id = me.session_id  # the same user's other device, signed in as the same session id
    response = await client.delete(f"/api/v1/auth/sessions/{me.session_id}", headers=me.headers)
    assert response.status_code == 204
    problem(await client.get(ME, headers=me.headers), 401)


async def test_a_revocation_event_denylists_the_session(
    gateway: tuple[FastAPI, httpx.AsyncClient], problem: Problem, sign_in: Callable[..., Any], nats_url: str
) -> None:
    app, client = gateway
    me = sign_in()
    assert (await client.get(ME, headers=me.headers)).status_code == 200
    event = events_pb2.SessionRevoked(user_id=me.user.id, session_id=me.session_id, reason="revoked")
    event.occurred_at.GetCurrentTime()
    nc, js = await bus.connect(nats_url, name="gateway-tests")
    await bus.publish(js, SESSION_REVOKED_SUBJECT, event.SerializeToString(), msg_id=uuid.uuid4().hex)
    await nc.close()
    redis = app.state.resources.redis
    for _ in range(100):
        if await redis.exists(revoked_session_key(me.session_id)):
            break
        await asyncio.sleep(0.1)
    problem(await client.get(ME, headers=me.headers), 401)


async def test_an_old_revocation_event_is_not_stored(gateway: tuple[FastAPI, httpx.AsyncClient]) -> None:
    from datetime import UTC, datetime, timedelta

    app, _ = gateway
    session_id = str(uuid.uuid4())
    await app.state.resources.denylist.revoke(session_id, revoked_at=datetime.now(UTC) - timedelta(hours=1))
    assert not await app.state.resources.redis.exists(revoked_session_key(session_id))


async def test_an_api_key_is_exchanged_once_and_cached(
    gateway: tuple[FastAPI, httpx.AsyncClient], sign_in: Callable[..., Any], fake_auth: Any
) -> None:
    app, client = gateway
    me = sign_in()
    created = await client.post("/api/v1/auth/api-keys", json={"name": "ci"}, headers=me.headers)
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    exchanges = len([c for c in fake_auth.calls if c.method == "ExchangeApiKey"])
    for _ in range(3):
        response = await client.get(ME, headers={"X-API-Key": secret})
        assert response.status_code == 200, response.text
        assert response.json()["id"] == me.user.id
    assert len([c for c in fake_auth.calls if c.method == "ExchangeApiKey"]) == exchanges + 1
    ttl = await app.state.resources.redis.ttl(api_key_cache_key(secret))
    assert 800 < ttl < 900
    assert not await app.state.resources.redis.exists(f"eqr:gateway:api-key-token:{secret}")


async def test_a_revoked_api_key_stops_working_at_once(
    client: httpx.AsyncClient, problem: Problem, sign_in: Callable[..., Any], fake_auth: Any
) -> None:
    me = sign_in()
    created = (await client.post("/api/v1/auth/api-keys", json={"name": "ci"}, headers=me.headers)).json()
    assert (await client.get(ME, headers={"X-API-Key": created["secret"]})).status_code == 200
    response = await client.delete(f"/api/v1/auth/api-keys/{created['id']}", headers=me.headers)
    assert response.status_code == 204
    del fake_auth.api_keys[created["secret"]]  # what the auth service does on revocation
    problem(await client.get(ME, headers={"X-API-Key": created["secret"]}), 401)


@pytest.mark.parametrize(
    ("subject", "event_type"),
    [
        ("eqr.auth.api_key.revoked", events_pb2.ApiKeyRevoked),
        ("eqr.auth.user.deactivated", events_pb2.UserDeactivated),
    ],
)
async def test_events_that_end_api_keys_drop_cached_tokens(
    gateway: tuple[FastAPI, httpx.AsyncClient],
    sign_in: Callable[..., Any],
    nats_url: str,
    subject: str,
    event_type: Any,
) -> None:
    app, client = gateway
    me = sign_in()
    secret = (await client.post("/api/v1/auth/api-keys", json={"name": "ci"}, headers=me.headers)).json()[
        "secret"
    ]
    assert (await client.get(ME, headers={"X-API-Key": secret})).status_code == 200
    redis = app.state.resources.redis
    assert await redis.exists(api_key_cache_key(secret))
    nc, js = await bus.connect(nats_url, name="gateway-tests")
    event = event_type(user_id=me.user.id)
    await bus.publish(js, subject, event.SerializeToString(), msg_id=uuid.uuid4().hex)
    await nc.close()
    for _ in range(100):
        if not await redis.exists(api_key_cache_key(secret)):
            break
        await asyncio.sleep(0.1)
    assert not await redis.exists(api_key_cache_key(secret))


async def test_a_bad_api_key_is_401(client: httpx.AsyncClient, problem: Problem) -> None:
    problem(await client.get(ME, headers={"X-API-Key": "eqr_" + "0" * 32}), 401)
    problem(await client.get(ME, headers={"X-API-Key": "not-a-key; DROP TABLE"}), 401)


async def test_a_session_revoked_by_another_gateway_is_refused_within_the_recheck(redis_url: str) -> None:
    from eqr_gateway.denylist import SessionDenylist
    from eqr_platform.cache import connect_redis

    store = connect_redis(redis_url, decode_responses=True, timeout_seconds=2.0)
    here = SessionDenylist(store, ttl_seconds=60, recheck_seconds=0.2)
    elsewhere = SessionDenylist(store, ttl_seconds=60)
    session_id = str(uuid.uuid4())
    assert not await here.is_revoked(session_id)
    await elsewhere.revoke(session_id)
    assert not await here.is_revoked(session_id), "remembered in good standing for the recheck interval"
    await asyncio.sleep(0.25)
    assert await here.is_revoked(session_id)
    other = str(uuid.uuid4())
    assert not await here.is_revoked(other)
    await here.revoke(other)
    assert await here.is_revoked(other), "a revocation recorded here takes effect at once"
    await store.aclose()
