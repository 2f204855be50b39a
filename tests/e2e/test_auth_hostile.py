"""Hostile input through the gateway: every answer a clear 4xx problem, never a 500."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eqr_testing.api import Account, assert_problem, register_and_login, unique_email


def _forged_claims(account: Account, **overrides: object) -> dict[str, object]:
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    claims.update(overrides)
    return claims


def test_wrong_password_is_401_without_saying_which_part_was_wrong(
    api: httpx.Client, account: Account
) -> None:
    wrong = api.post("/auth/login", json={"email": account.email, "password": "not-the-password"})
    unknown = api.post("/auth/login", json={"email": unique_email(), "password": "not-the-password"})
    assert_problem(wrong, 401)
    assert_problem(unknown, 401)
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_repeated_failures_lock_the_account_even_for_the_right_password(api: httpx.Client) -> None:
    victim = register_and_login(api, "victim")
    for _ in range(5):
        assert_problem(
            api.post("/auth/login", json={"email": victim.email, "password": "guess-guess-guess"}), 401
        )
    locked = api.post("/auth/login", json={"email": victim.email, "password": victim.password})
    assert_problem(locked, 429)
    assert int(locked.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "Bearer " + "x" * 8000]
)
def test_missing_or_garbage_credentials(api: httpx.Client, header: str) -> None:
    response = api.get("/auth/me", headers={"Authorization": header} if header else {})
    assert_problem(response, 401)


def test_tampered_token_is_rejected(api: httpx.Client, account: Account) -> None:
    header, _payload, signature = account.access_token.split(".")
    payload = jwt.utils.base64url_encode(
        jwt.api_jws.json.dumps(_forged_claims(account, role="admin")).encode()
    ).decode()
    assert_problem(
        api.get("/auth/me", headers={"Authorization": f"Bearer {header}.{payload}.{signature}"}), 401
    )


def test_alg_none_token_is_rejected(api: httpx.Client, account: Account) -> None:
    kid = jwt.get_unverified_header(account.access_token)["kid"]
    token = jwt.encode(_forged_claims(account, role="admin"), None, algorithm="none", headers={"kid": kid})
    assert_problem(api.get("/auth/me", headers={"Authorization": f"Bearer {token}"}), 401)


def test_hmac_token_using_the_public_key_as_secret_is_rejected(
    api: httpx.Client, account: Account, gateway_url: str
) -> None:
    kid = jwt.get_unverified_header(account.access_token)["kid"]
    public = next(
        k for k in httpx.get(f"{gateway_url}/.well-known/jwks.json").json()["keys"] if k["kid"] == kid
    )
    token = jwt.encode(_forged_claims(account), public["x"], algorithm="HS256", headers={"kid": kid})
    assert_problem(api.get("/auth/me", headers={"Authorization": f"Bearer {token}"}), 401)


def test_token_signed_with_another_key_is_rejected(api: httpx.Client, account: Account) -> None:
    kid = jwt.get_unverified_header(account.access_token)["kid"]
    token = jwt.encode(
        _forged_claims(account), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}
    )
    assert_problem(api.get("/auth/me", headers={"Authorization": f"Bearer {token}"}), 401)


def test_expired_token_is_rejected(
    api: httpx.Client, account: Account, signing_key: tuple[str, Ed25519PrivateKey]
) -> None:
    kid, key = signing_key
    past = int(time.time()) - 3600
    token = jwt.encode(
        _forged_claims(account, iat=past, nbf=past, exp=past + 900),
        key,
        algorithm="EdDSA",
        headers={"kid": kid},
    )
    expired = api.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(expired, 401)
    assert "expired" in expired.json()["detail"]


def test_malformed_json_is_400(api: httpx.Client) -> None:
    response = api.post(
        "/auth/register",
        content=b'{"email": "a@example.com", "password": ',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 400)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": 42, "password": "correct-horse-battery", "full_name": "x"}, "email"),
        ({"email": "a@example.com", "password": ["a"], "full_name": "x"}, "password"),
        ({"email": "not-an-email", "password": "correct-horse-battery", "full_name": "x"}, "email"),
        ({"password": "correct-horse-battery", "full_name": "x"}, "email"),
        ({"email": "a@example.com", "password": "p" * 10_000, "full_name": "x"}, "password"),
    ],
)
def test_wrong_types_and_sizes_name_the_field(api: httpx.Client, body: dict[str, object], field: str) -> None:
    assert_problem(api.post("/auth/register", json=body), 422, field=field)


def test_ten_megabyte_body_is_413(api: httpx.Client) -> None:
    huge = b'{"email": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    response = api.post("/auth/register", content=huge, headers={"Content-Type": "application/json"})
    assert_problem(response, 413)


def test_sql_looking_strings_are_just_data(api: httpx.Client) -> None:
    name = "Robert'); DROP TABLE auth.users;--"
    email = unique_email("bobby")
    created = api.post(
        "/auth/register", json={"email": email, "password": "x' OR '1'='1 -- long enough", "full_name": name}
    )
    assert created.status_code == 201, created.text
    assert created.json()["full_name"] == name
    injected = api.post("/auth/login", json={"email": "' OR 1=1 --@example.com", "password": "' OR '1'='1"})
    assert injected.status_code in (401, 422)
    assert (
        api.post("/auth/login", json={"email": email, "password": "x' OR '1'='1 -- long enough"}).status_code
        == 200
    )


def test_other_users_ids_are_not_reachable(api: httpx.Client, account: Account) -> None:
    other = register_and_login(api, "other")
    other_session = api.get("/auth/sessions", headers=other.headers).json()["items"][0]["id"]
    assert_problem(api.delete(f"/auth/sessions/{other_session}", headers=account.headers), 404)
    key = api.post(
        "/auth/api-keys", headers=other.headers, json={"name": "theirs", "scopes": ["read"]}
    ).json()["id"]
    assert_problem(api.delete(f"/auth/api-keys/{key}", headers=account.headers), 404)
    assert_problem(
        api.put(f"/admin/users/{other.user_id}/role", headers=account.headers, json={"role": "admin"}), 403
    )


def test_bad_path_ids_and_unknown_routes(api: httpx.Client, account: Account) -> None:
    assert_problem(api.delete("/auth/sessions/not-a-uuid", headers=account.headers), 422, field="session_id")
    assert_problem(api.delete(f"/auth/sessions/{uuid.uuid4()}", headers=account.headers), 404)
    assert_problem(api.get("/no/such/route"), 404)
    assert_problem(api.patch("/auth/login", json={}), 405)
