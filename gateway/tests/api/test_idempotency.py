"""Idempotency-Key: replay, body mismatch, in-flight duplicates, failures that free the key."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest
from fastapi import FastAPI

from eqr_gateway.idempotency_store import IdempotencyStore, IdempotentReplay, StoredResponse

Problem = Callable[[httpx.Response, int], dict[str, Any]]


def _registration() -> dict[str, str]:
    return {
        "email": f"idem.{uuid.uuid4().hex[:10]}@example.com",
        "password": "correct horse battery",
        "full_name": "I",
    }


async def test_same_key_and_body_replays_the_first_answer(client: httpx.AsyncClient, fake_auth: Any) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    payload = _registration()
    first = await client.post("/api/v1/auth/register", json=payload, headers=key)
    second = await client.post("/api/v1/auth/register", json=payload, headers=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    registrations = [c for c in fake_auth.calls if c.method == "RegisterUser"]
    assert [c.request.email for c in registrations].count(payload["email"]) == 1


async def test_same_key_with_another_body_is_422_naming_the_header(
    client: httpx.AsyncClient, problem: Problem
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert (await client.post("/api/v1/auth/register", json=_registration(), headers=key)).status_code == 201
    body = problem(await client.post("/api/v1/auth/register", json=_registration(), headers=key), 422)
    assert body["errors"][0]["field"] == "header.Idempotency-Key"


async def test_a_duplicate_in_flight_is_409(
    client: httpx.AsyncClient, problem: Problem, fake_auth: Any
) -> None:
    gate = fake_auth.hold("RegisterUser")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    payload = _registration()
    first = asyncio.create_task(client.post("/api/v1/auth/register", json=payload, headers=key))
    await gate.arrived.wait()
    body = problem(await client.post("/api/v1/auth/register", json=payload, headers=key), 409)
    assert "still being processed" in body["detail"]
    gate.release.set()
    assert (await first).status_code == 201


async def test_a_failed_attempt_frees_the_key(
    client: httpx.AsyncClient, problem: Problem, fake_auth: Any
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    payload = _registration()
    fake_auth.fail_next("RegisterUser", grpc.StatusCode.ABORTED, "try again")
    problem(await client.post("/api/v1/auth/register", json=payload, headers=key), 409)
    retried = await client.post("/api/v1/auth/register", json=payload, headers=key)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers


async def test_keys_are_scoped_by_caller(client: httpx.AsyncClient, sign_in: Callable[..., Any]) -> None:
    key = str(uuid.uuid4())
    alice, bob = sign_in(), sign_in()
    payload = {"name": "same"}
    a = await client.post(
        "/api/v1/auth/api-keys", json=payload, headers={**alice.headers, "Idempotency-Key": key}
    )
    b = await client.post(
        "/api/v1/auth/api-keys", json=payload, headers={**bob.headers, "Idempotency-Key": key}
    )
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    again = await client.post(
        "/api/v1/auth/api-keys", json=payload, headers={**alice.headers, "Idempotency-Key": key}
    )
    assert again.json()["secret"] == a.json()["secret"]


@pytest.mark.parametrize("bad_key", ["", "has space", "x" * 256])
async def test_a_bad_key_is_422(client: httpx.AsyncClient, problem: Problem, bad_key: str) -> None:
    response = await client.post(
        "/api/v1/auth/register", json=_registration(), headers={"Idempotency-Key": bad_key}
    )
    assert problem(response, 422)["errors"][0]["field"] == "header.Idempotency-Key"


async def test_store_only_the_owner_completes_or_releases(gateway: tuple[FastAPI, httpx.AsyncClient]) -> None:
    app, _ = gateway
    store = IdempotencyStore(app.state.resources.redis, ttl_seconds=60, lock_seconds=60)
    key = f"eqr:gateway:idempotency:test-{uuid.uuid4().hex}"
    owner = await store.claim(key, "fp")
    await store.release(key, "someone-else")
    await store.complete(key, "someone-else", "fp", StoredResponse(201, "application/json", b"{}"))
    with pytest.raises(Exception, match="still being processed"):
        await store.claim(key, "fp")
    await store.complete(key, owner, "fp", StoredResponse(201, "application/json", b'{"ok":true}'))
    with pytest.raises(IdempotentReplay) as replay:
        await store.claim(key, "fp")
    assert replay.value.response == StoredResponse(201, "application/json", b'{"ok":true}')
    assert 0 < await app.state.resources.redis.ttl(key) <= 60
