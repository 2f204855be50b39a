"""Every /api/v1 route against the fake AuthService: status, shape, and what reaches the service."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import grpc
import httpx

from eqr_platform.grpc import FieldViolation

Problem = Callable[[httpx.Response, int], dict[str, Any]]
USER_FIELDS = {"id", "email", "full_name", "role", "is_active", "created_at", "updated_at", "last_login_at"}


def _email() -> str:
    return f"user.{uuid.uuid4().hex[:10]}@example.com"


async def test_register_creates_a_viewer(client: httpx.AsyncClient) -> None:
    email = _email()
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": "correct horse battery", "full_name": "Ada"},
    )
    assert response.status_code == 201, response.text
    user = response.json()
    assert set(user) == USER_FIELDS
    assert (user["email"], user["role"], user["last_login_at"]) == (email, "viewer", None)
    assert user["created_at"].endswith("Z")


async def test_register_twice_is_409(client: httpx.AsyncClient, problem: Problem) -> None:
    payload = {"email": _email(), "password": "correct horse battery", "full_name": "Ada"}
    assert (await client.post("/api/v1/auth/register", json=payload)).status_code == 201
    problem(await client.post("/api/v1/auth/register", json=payload), 409)


async def test_register_violations_from_the_service_name_body_fields(
    client: httpx.AsyncClient, problem: Problem, fake_auth: Any
) -> None:
    fake_auth.fail_next(
        "RegisterUser",
        grpc.StatusCode.INVALID_ARGUMENT,
        "password is too common",
        violations=[FieldViolation("password", "is too common")],
    )
    payload = {"email": _email(), "password": "password123", "full_name": "Ada"}
    body = problem(await client.post("/api/v1/auth/register", json=payload), 422)
    assert body["errors"] == [{"field": "body.password", "message": "is too common"}]


async def test_login_with_json(client: httpx.AsyncClient, fake_auth: Any) -> None:
    user = fake_auth.add_user(_email(), password="s3cret pass")
    response = await client.post("/api/v1/auth/login", json={"email": user.email, "password": "s3cret pass"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "refresh_expires_in",
        "user",
    }
    assert body["token_type"] == "bearer"
    assert (body["expires_in"], body["refresh_expires_in"]) == (900, 604800)
    assert body["user"]["id"] == user.id
    assert response.headers["cache-control"] == "no-store"
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200


async def test_login_with_the_oauth2_password_form(client: httpx.AsyncClient, fake_auth: Any) -> None:
    user = fake_auth.add_user(_email(), password="s3cret pass")
    form = {"grant_type": "password", "username": user.email, "password": "s3cret pass", "scope": ""}
    response = await client.post("/api/v1/auth/login", data=form)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == user.email


async def test_login_form_errors_name_form_fields(client: httpx.AsyncClient, problem: Problem) -> None:
    response = await client.post("/api/v1/auth/login", data={"username": "nobody", "grant_type": "implicit"})
    fields = {error["field"] for error in problem(response, 422)["errors"]}
    assert fields == {"body.username", "body.password", "body.grant_type"}


async def test_login_json_errors_and_wrong_media_type(client: httpx.AsyncClient, problem: Problem) -> None:
    body = problem(await client.post("/api/v1/auth/login", json={"email": "a@example.com"}), 422)
    assert [error["field"] for error in body["errors"]] == ["body.password"]
    problem(
        await client.post(
            "/api/v1/auth/login", content=b"{nope", headers={"content-type": "application/json"}
        ),
        400,
    )
    problem(
        await client.post("/api/v1/auth/login", content=b"hello", headers={"content-type": "text/plain"}), 415
    )


async def test_login_with_bad_credentials_is_401(client: httpx.AsyncClient, problem: Problem) -> None:
    body = problem(await client.post("/api/v1/auth/login", json={"email": _email(), "password": "nope"}), 401)
    assert body["detail"] == "invalid email or password"


async def test_refresh(client: httpx.AsyncClient, problem: Problem, fake_auth: Any) -> None:
    user = fake_auth.add_user(_email())
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": f"rt-{user.id}"})
    assert response.status_code == 200, response.text
    assert set(response.json()) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "refresh_expires_in",
    }
    problem(await client.post("/api/v1/auth/refresh", json={"refresh_token": "rt-unknown"}), 401)


async def test_forgot_password_is_always_202(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/forgot-password", json={"email": _email()})
    assert response.status_code == 202
    assert "reset link" in response.json()["message"]


async def test_reset_and_change_password(
    client: httpx.AsyncClient, problem: Problem, fake_auth: Any, sign_in: Callable[..., Any]
) -> None:
    reset = await client.post(
        "/api/v1/auth/reset-password", json={"token": "pr_x", "new_password": "long enough pw"}
    )
    assert reset.status_code == 204
    fake_auth.fail_next("ResetPassword", grpc.StatusCode.FAILED_PRECONDITION, "the reset token has expired")
    body = problem(
        await client.post(
            "/api/v1/auth/reset-password", json={"token": "pr_x", "new_password": "long enough pw"}
        ),
        409,
    )
    assert body["detail"] == "the reset token has expired"
    me = sign_in()
    change = await client.post(
        "/api/v1/auth/change-password",
        json={"current_password": "correct horse battery", "new_password": "an even longer one"},
        headers=me.headers,
    )
    assert change.status_code == 204
    problem(await client.post("/api/v1/auth/change-password", json={"current_password": "x"}), 401)


async def test_me_update_changes_only_the_fields_sent(
    client: httpx.AsyncClient, fake_auth: Any, sign_in: Callable[..., Any]
) -> None:
    me = sign_in()
    original_email = me.user.email
    response = await client.put("/api/v1/auth/me", json={"full_name": "Ada King"}, headers=me.headers)
    assert response.status_code == 200, response.text
    assert (response.json()["full_name"], response.json()["email"]) == ("Ada King", original_email)
    sent = fake_auth.last("UpdateCurrentUser").request
    assert sent.HasField("full_name")
    assert not sent.HasField("email")


async def test_preferences_round_trip(
    client: httpx.AsyncClient, problem: Problem, sign_in: Callable[..., Any]
) -> None:
    me = sign_in()
    defaults = await client.get("/api/v1/auth/me/preferences", headers=me.headers)
    assert defaults.status_code == 200
    assert defaults.json() == {
        "theme": "system",
        "timezone": "UTC",
        "currency": "USD",
        "locale": "en-US",
        "watchlist": [],
        "dashboard_layout": {},
    }
    update = {"theme": "dark", "watchlist": ["AAPL", "BRK.B", "^GSPC"], "dashboard_layout": {"cols": 3}}
    response = await client.put("/api/v1/auth/me/preferences", json=update, headers=me.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {**defaults.json(), **update}
    bad = {"theme": "neon", "currency": "usd", "watchlist": ["ok", "no spaces"], "timezone": "../etc/passwd"}
    rejected = problem(await client.put("/api/v1/auth/me/preferences", json=bad, headers=me.headers), 422)
    fields = {error["field"] for error in rejected["errors"]}
    assert fields == {"body.theme", "body.currency", "body.watchlist[1]", "body.timezone"}


async def test_sessions(
    client: httpx.AsyncClient, problem: Problem, fake_auth: Any, sign_in: Callable[..., Any]
) -> None:
    me = sign_in()
    response = await client.get("/api/v1/auth/sessions", headers={**me.headers, "user-agent": "Firefox/130"})
    assert response.status_code == 200
    [session] = response.json()["items"]
    assert session["current"] is True
    assert session["ip_address"] == "203.0.113.7"
    fake_auth.fail_next("RevokeSession", grpc.StatusCode.NOT_FOUND, "no such session")
    problem(await client.delete(f"/api/v1/auth/sessions/{uuid.uuid4()}", headers=me.headers), 404)


async def test_api_keys(client: httpx.AsyncClient, problem: Problem, sign_in: Callable[..., Any]) -> None:
    me = sign_in()
    created = await client.post(
        "/api/v1/auth/api-keys",
        json={"name": "nightly", "scopes": ["portfolio:read"], "expires_at": "2099-01-01T00:00:00Z"},
        headers=me.headers,
    )
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["secret"].startswith("eqr_")
    assert key["expires_at"] == "2099-01-01T00:00:00Z"
    listed = await client.get("/api/v1/auth/api-keys", headers=me.headers)
    assert [item["id"] for item in listed.json()["items"]] == [key["id"]]
    assert "secret" not in listed.json()["items"][0]
    assert (await client.delete(f"/api/v1/auth/api-keys/{key['id']}", headers=me.headers)).status_code == 204
    past = {"name": "old", "expires_at": "2001-01-01T00:00:00Z"}
    body = problem(await client.post("/api/v1/auth/api-keys", json=past, headers=me.headers), 422)
    assert body["errors"][0]["field"] == "body.expires_at"
    naive = {"name": "naive", "expires_at": "2099-01-01T00:00:00"}
    problem(await client.post("/api/v1/auth/api-keys", json=naive, headers=me.headers), 422)


async def test_admin_lists_users_by_cursor(
    client: httpx.AsyncClient, fake_auth: Any, sign_in: Callable[..., Any]
) -> None:
    admin = sign_in("admin")
    tag = uuid.uuid4().hex[:8]
    for n in range(5):
        fake_auth.add_user(f"{tag}.{n}@example.com")
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": 2, "q": tag, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/admin/users", params=params, headers=admin.headers)).json()
        assert set(page) == {"items", "next_cursor"}
        seen += [user["email"] for user in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(f"{tag}.{n}@example.com" for n in range(5))


async def test_admin_sets_roles_and_deactivates(
    client: httpx.AsyncClient, problem: Problem, fake_auth: Any, sign_in: Callable[..., Any]
) -> None:
    admin = sign_in("admin")
    target = fake_auth.add_user(_email())
    response = await client.put(
        f"/api/v1/admin/users/{target.id}/role", json={"role": "analyst"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "analyst"
    problem(
        await client.put(
            f"/api/v1/admin/users/{target.id}/role", json={"role": "root"}, headers=admin.headers
        ),
        422,
    )
    problem(
        await client.put(
            f"/api/v1/admin/users/{uuid.uuid4()}/role", json={"role": "admin"}, headers=admin.headers
        ),
        404,
    )
    deactivated = await client.post(f"/api/v1/admin/users/{target.id}/deactivate", headers=admin.headers)
    assert deactivated.json()["is_active"] is False
    fake_auth.fail_next(
        "DeactivateUser",
        grpc.StatusCode.INVALID_ARGUMENT,
        "cannot deactivate yourself",
        violations=[FieldViolation("user_id", "is the caller")],
    )
    body = problem(
        await client.post(f"/api/v1/admin/users/{admin.user.id}/deactivate", headers=admin.headers), 422
    )
    assert body["errors"] == [{"field": "path.user_id", "message": "is the caller"}]


async def test_jwks_is_public_and_cacheable(client: httpx.AsyncClient, signing_keys: Any) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    [key] = response.json()["keys"]
    assert (key["kid"], key["kty"], key["crv"]) == (signing_keys.kid, "OKP", "Ed25519")
    assert "d" not in key


async def test_rate_limited_upstream_gives_429_with_retry_after(
    client: httpx.AsyncClient, problem: Problem, fake_auth: Any
) -> None:
    fake_auth.fail_next(
        "RequestPasswordReset", grpc.StatusCode.RESOURCE_EXHAUSTED, "too many", retry_after_seconds=30
    )
    response = await client.post("/api/v1/auth/forgot-password", json={"email": _email()})
    problem(response, 429)
    assert response.headers["retry-after"] == "30"
    fake_auth.fail_next(
        "RequestPasswordReset",
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "too many",
        trailers=(("retry-after", "9"),),
    )
    response = await client.post("/api/v1/auth/forgot-password", json={"email": _email()})
    assert response.headers["retry-after"] == "9"


async def test_permission_denied_and_unavailable(
    client: httpx.AsyncClient, problem: Problem, fake_auth: Any, sign_in: Callable[..., Any]
) -> None:
    me = sign_in()
    fake_auth.fail_next("GetCurrentUser", grpc.StatusCode.PERMISSION_DENIED, "account is locked")
    problem(await client.get("/api/v1/auth/me", headers=me.headers), 403)
    fake_auth.fail_next("GetCurrentUser", grpc.StatusCode.DEADLINE_EXCEEDED, "took too long")
    problem(await client.get("/api/v1/auth/me", headers=me.headers), 503)
