"""Helpers for black-box tests that drive the gateway's REST API like a frontend would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "correct-horse-battery-staple"


@dataclass
class Account:
    email: str
    password: str
    user_id: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


def register_and_login(api: httpx.Client, tag: str = "user", password: str = PASSWORD) -> Account:
    """A fresh analyst account, signed in; ``api`` has the ``/api/v1`` base URL."""
    email = unique_email(tag)
    registered = api.post(
        "/auth/register", json={"email": email, "password": password, "full_name": tag.title()}
    )
    assert registered.status_code == 201, registered.text
    login = api.post("/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    body = login.json()
    return Account(email, password, registered.json()["id"], body["access_token"], body["refresh_token"])


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """Asserts an RFC 9457 problem with ``status`` that names ``field`` when one is given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["title"]
    if field is not None:
        fields = [error["field"] for error in problem.get("errors", [])]
        assert any(field in name for name in fields), (field, problem)
    return problem
