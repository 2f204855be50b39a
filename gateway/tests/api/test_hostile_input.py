"""Bad requests of every kind get a problem+json naming what is wrong; never a 500 or a hang."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import httpx

Problem = Callable[[httpx.Response, int], dict[str, Any]]


def _fields(body: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["message"] for error in body["errors"]}


async def test_unknown_route_is_404(client: httpx.AsyncClient, problem: Problem) -> None:
    body = problem(await client.get("/api/v1/nope"), 404)
    assert body["type"] == "urn:eqr:problem:not-found"
    assert body["instance"] == "/api/v1/nope"
    assert body["title"] == "Not Found"


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient, problem: Problem) -> None:
    response = await client.delete("/api/v1/auth/register")
    body = problem(response, 405)
    assert "POST" in response.headers["allow"]
    assert "DELETE" in body["detail"]


async def test_malformed_json_is_400(client: httpx.AsyncClient, problem: Problem) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        content=b'{"email": "a@example.com",',
        headers={"content-type": "application/json"},
    )
    body = problem(response, 400)
    assert "not valid JSON" in body["detail"]
    assert body["errors"][0]["field"] == "body"


async def test_wrong_types_name_each_field(client: httpx.AsyncClient, problem: Problem) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": 42, "password": ["x"], "full_name": {"a": 1}, "admin": True}
    )
    fields = _fields(problem(response, 422))
    assert set(fields) == {"body.email", "body.password", "body.full_name", "body.admin"}


async def test_missing_fields_and_bad_email(client: httpx.AsyncClient, problem: Problem) -> None:
    body = problem(await client.post("/api/v1/auth/register", json={"email": "not-an-email"}), 422)
    fields = _fields(body)
    assert set(fields) == {"body.email", "body.password", "body.full_name"}
    assert "email" in fields["body.email"]


async def test_a_body_that_is_not_an_object(client: httpx.AsyncClient, problem: Problem) -> None:
    body = problem(await client.post("/api/v1/auth/register", json=[1, 2, 3]), 422)
    assert body["errors"][0]["field"] == "body"


async def test_overlong_strings_are_rejected(client: httpx.AsyncClient, problem: Problem) -> None:
    payload = {"email": "a@example.com", "password": "x" * 10_000, "full_name": "y" * 201}
    fields = _fields(problem(await client.post("/api/v1/auth/register", json=payload), 422))
    assert set(fields) == {"body.password", "body.full_name"}


async def test_a_10_mb_body_is_413_by_content_length(client: httpx.AsyncClient, problem: Problem) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        content=b"x" * (10 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert "1048576" in problem(response, 413)["detail"]


async def test_a_streamed_body_is_cut_off_at_the_limit(client: httpx.AsyncClient, problem: Problem) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * (1024 * 1024)

    response = await client.post(
        "/api/v1/auth/register", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert problem(response, 413)["title"] == "Content Too Large"


async def test_a_streamed_login_form_is_cut_off_too(client: httpx.AsyncClient, problem: Problem) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"a" * (1024 * 1024)

    response = await client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    problem(response, 413)


async def test_bad_content_length_is_400(client: httpx.AsyncClient, problem: Problem) -> None:
    transport = client._transport  # the raw ASGI transport lets a bad header through
    request = httpx.Request(
        "POST",
        "http://gateway.test/api/v1/auth/refresh",
        headers={"content-length": "12abc", "content-type": "application/json"},
        content=b"{}",
    )
    response = await transport.handle_async_request(request)
    await response.aread()
    assert response.status_code == 400


async def test_bad_uuid_path_param_names_it(
    client: httpx.AsyncClient, problem: Problem, sign_in: Callable[..., Any]
) -> None:
    me = sign_in()
    response = await client.delete("/api/v1/auth/sessions/not-a-uuid", headers=me.headers)
    assert list(_fields(problem(response, 422))) == ["path.session_id"]


async def test_bad_query_param_names_it(
    client: httpx.AsyncClient, problem: Problem, sign_in: Callable[..., Any]
) -> None:
    admin = sign_in("admin")
    response = await client.get("/api/v1/admin/users?limit=1000&q=" + "x" * 300, headers=admin.headers)
    assert set(_fields(problem(response, 422))) == {"query.limit", "query.q"}


async def test_unknown_json_fields_are_rejected(client: httpx.AsyncClient, problem: Problem) -> None:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": "rt", "extra": 1})
    assert list(_fields(problem(response, 422))) == ["body.extra"]


async def test_sql_looking_strings_pass_through_intact(client: httpx.AsyncClient, fake_auth: Any) -> None:
    name = "Robert'); DROP TABLE users;-- \" OR 1=1 /*"
    email = f"bobby.{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": "correct horse battery", "full_name": name}
    )
    assert response.status_code == 201, response.text
    assert response.json()["full_name"] == name
    assert fake_auth.last("RegisterUser").request.full_name == name


async def test_an_upstream_internal_error_is_a_bare_500(
    client: httpx.AsyncClient, problem: Problem, fake_auth: Any
) -> None:
    fake_auth.fail_next("RequestPasswordReset", grpc.StatusCode.INTERNAL, "psycopg: password=hunter2")
    response = await client.post("/api/v1/auth/forgot-password", json={"email": "a@example.com"})
    body = problem(response, 500)
    assert "hunter2" not in response.text
    assert body["errors"] == []


async def test_an_unexpected_gateway_bug_is_a_bare_500(
    client: httpx.AsyncClient, problem: Problem, fake_auth: Any
) -> None:
    user = fake_auth.add_user(f"{uuid.uuid4().hex[:8]}@example.com")
    user.id = "not-a-uuid"  # the gateway's mapping refuses it: a bug, not a client error
    fake_auth.users[user.id] = user
    fake_auth.passwords[user.id] = "correct horse battery"
    response = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "correct horse battery"}
    )
    body = problem(response, 500)
    assert body["detail"].startswith("An unexpected error occurred")
    assert "not-a-uuid" not in response.text
