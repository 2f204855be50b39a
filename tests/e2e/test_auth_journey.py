"""The auth journey through the gateway, as the frontend and an API client use it."""

from __future__ import annotations

import re
import time

import httpx
import jwt

from eqr_launcher.registry import DEMO_EMAIL, DEMO_PASSWORD
from eqr_testing.api import PASSWORD, Account, assert_problem, register_and_login, unique_email
from eqr_testing.mail import Mailbox, body_text


def test_register_login_and_read_me(api: httpx.Client) -> None:
    email = unique_email("Reader").upper()
    registered = api.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "full_name": "Ann Reader"}
    )
    assert registered.status_code == 201, registered.text
    user = registered.json()
    assert user["email"] == email.lower()
    assert user["role"] == "analyst"
    assert "password" not in registered.text

    # OAuth2 password flow (form), as Swagger UI and most OAuth clients send it.
    login = api.post("/auth/login", data={"username": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    tokens = login.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    assert tokens["refresh_expires_in"] == 7 * 24 * 3600
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "EdDSA"
    assert header["kid"]

    me = api.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]
    assert me.json()["full_name"] == "Ann Reader"


def test_the_demo_login_the_launcher_prints_works(api: httpx.Client) -> None:
    login = api.post("/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["email"] == DEMO_EMAIL


def test_the_jwks_verifies_the_access_token(api: httpx.Client, gateway_url: str, account: Account) -> None:
    jwks = httpx.get(f"{gateway_url}/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(account.access_token)["kid"]
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid)
    claims = jwt.decode(account.access_token, key, algorithms=["EdDSA"], audience="eqr", issuer="eqr-auth")
    assert claims["sub"] == account.user_id
    assert "d" not in str(jwks["keys"][0].keys() - {"kid"})  # only public material is published


def test_duplicate_email_is_a_conflict_whatever_the_case(api: httpx.Client, account: Account) -> None:
    again = api.post(
        "/auth/register", json={"email": account.email.upper(), "password": PASSWORD, "full_name": "Twin"}
    )
    assert_problem(again, 409)


def test_weak_password_is_refused_naming_the_field(api: httpx.Client) -> None:
    weak = api.post("/auth/register", json={"email": unique_email(), "password": "short", "full_name": "W"})
    assert_problem(weak, 422, field="password")


def test_update_me_and_preferences(api: httpx.Client, account: Account) -> None:
    updated = api.put("/auth/me", headers=account.headers, json={"full_name": "Renamed Person"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["full_name"] == "Renamed Person"
    assert updated.json()["email"] == account.email

    prefs = {
        "theme": "dark",
        "timezone": "Europe/London",
        "currency": "GBP",
        "locale": "en-GB",
        "watchlist": ["AAPL", "MSFT"],
    }
    saved = api.put("/auth/me/preferences", headers=account.headers, json=prefs)
    assert saved.status_code == 200, saved.text
    read = api.get("/auth/me/preferences", headers=account.headers).json()
    assert {k: read[k] for k in prefs} == prefs

    bad = api.put("/auth/me/preferences", headers=account.headers, json={**prefs, "timezone": "Mars/Olympus"})
    assert_problem(bad, 422, field="timezone")


def test_refresh_rotates_and_reuse_revokes_the_family(api: httpx.Client, account: Account) -> None:
    first = api.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert first.status_code == 200, first.text
    rotated = first.json()["refresh_token"]
    assert rotated != account.refresh_token

    # The old token is presented again: a thief or a replay. The whole session dies.
    reuse = api.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert_problem(reuse, 401)
    after = api.post("/auth/refresh", json={"refresh_token": rotated})
    assert_problem(after, 401)


def test_logout_ends_the_session_and_its_access_token(api: httpx.Client, account: Account) -> None:
    assert api.post("/auth/logout", headers=account.headers).status_code == 204
    assert_problem(api.post("/auth/refresh", json={"refresh_token": account.refresh_token}), 401)
    # The access token stops working as soon as the revocation event reaches the gateway.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if api.get("/auth/me", headers=account.headers).status_code == 401:
            break
        time.sleep(0.1)
    assert_problem(api.get("/auth/me", headers=account.headers), 401)


def test_sessions_are_listed_and_one_can_be_revoked(api: httpx.Client, account: Account) -> None:
    second = api.post("/auth/login", json={"email": account.email, "password": account.password}).json()
    sessions = api.get("/auth/sessions", headers=account.headers)
    assert sessions.status_code == 200
    listed = sessions.json()["items"]
    assert len(listed) == 2
    assert sum(s["current"] for s in listed) == 1
    other = next(s for s in listed if not s["current"])
    assert api.delete(f"/auth/sessions/{other['id']}", headers=account.headers).status_code == 204
    assert_problem(api.post("/auth/refresh", json={"refresh_token": second["refresh_token"]}), 401)


def test_forgot_and_reset_password(api: httpx.Client, account: Account, mailbox: Mailbox) -> None:
    assert api.post("/auth/forgot-password", json={"email": account.email}).status_code == 202
    # Unknown addresses get the same answer: no account enumeration.
    assert api.post("/auth/forgot-password", json={"email": unique_email()}).status_code == 202

    mail = body_text(mailbox.newest(account.email, timeout=10))
    token = re.search(r"token=([A-Za-z0-9_\-]+)", mail)
    assert token, mail
    new_password = "a-brand-new-passphrase-42"
    reset = api.post("/auth/reset-password", json={"token": token.group(1), "new_password": new_password})
    assert reset.status_code == 204, reset.text
    # Single use.
    again = api.post(
        "/auth/reset-password", json={"token": token.group(1), "new_password": "another-one-entirely"}
    )
    assert_problem(again, 422, field="token")

    assert_problem(api.post("/auth/login", json={"email": account.email, "password": account.password}), 401)
    assert api.post("/auth/login", json={"email": account.email, "password": new_password}).status_code == 200
    # A reset signs every existing session out.
    assert_problem(api.post("/auth/refresh", json={"refresh_token": account.refresh_token}), 401)


def test_admin_changes_a_role_and_deactivates(api: httpx.Client, admin: Account) -> None:
    member = register_and_login(api, "member")
    assert_problem(api.get("/admin/users", headers=member.headers), 403)

    page = api.get("/admin/users", headers=admin.headers, params={"limit": 1})
    assert page.status_code == 200, page.text
    assert len(page.json()["items"]) == 1
    assert page.json()["next_cursor"]

    found = api.get("/admin/users", headers=admin.headers, params={"q": member.email}).json()["items"]
    assert [u["id"] for u in found] == [member.user_id]

    changed = api.put(f"/admin/users/{member.user_id}/role", headers=admin.headers, json={"role": "viewer"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "viewer"
    relogin = api.post("/auth/login", json={"email": member.email, "password": member.password}).json()
    assert jwt.decode(relogin["access_token"], options={"verify_signature": False})["role"] == "viewer"

    assert api.post(f"/admin/users/{member.user_id}/deactivate", headers=admin.headers).status_code == 200
    assert_problem(api.post("/auth/login", json={"email": member.email, "password": member.password}), 401)
    assert_problem(api.post("/auth/refresh", json={"refresh_token": relogin["refresh_token"]}), 401)


def test_api_key_authenticates_a_program(api: httpx.Client, account: Account) -> None:
    created = api.post(
        "/auth/api-keys", headers=account.headers, json={"name": "notebook", "scopes": ["read"]}
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    key_id = created.json()["id"]
    assert secret.startswith("eqr_")

    me = api.get("/auth/me", headers={"X-API-Key": secret})
    assert me.status_code == 200, me.text
    assert me.json()["id"] == account.user_id

    listed = api.get("/auth/api-keys", headers=account.headers).json()["items"]
    assert [k["id"] for k in listed] == [key_id]
    assert "secret" not in listed[0]

    assert api.delete(f"/auth/api-keys/{key_id}", headers=account.headers).status_code == 204
    deadline = time.monotonic() + 10
    while (
        api.get("/auth/me", headers={"X-API-Key": secret}).status_code != 401 and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert_problem(api.get("/auth/me", headers={"X-API-Key": secret}), 401)
    assert_problem(api.get("/auth/me", headers={"X-API-Key": "eqr_deadbeef_" + "x" * 43}), 401)


def test_idempotency_key_creates_one_api_key(api: httpx.Client, account: Account) -> None:
    headers = {**account.headers, "Idempotency-Key": "create-key-once"}
    first = api.post("/auth/api-keys", headers=headers, json={"name": "ci", "scopes": ["read"]})
    second = api.post("/auth/api-keys", headers=headers, json={"name": "ci", "scopes": ["read"]})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(api.get("/auth/api-keys", headers=account.headers).json()["items"]) == 1
    different = api.post("/auth/api-keys", headers=headers, json={"name": "other", "scopes": ["read"]})
    assert_problem(different, 422)
