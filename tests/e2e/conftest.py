"""Black-box fixtures: the launcher's fleet, driven only over HTTP through the gateway."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eqr_launcher.fleet import Fleet
from eqr_testing.api import Account, register_and_login


@pytest.fixture(scope="session")
def api(gateway_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{gateway_url}/api/v1", timeout=15.0) as client:
        yield client


@pytest.fixture
def account(api: httpx.Client) -> Account:
    return register_and_login(api)


@pytest.fixture
def admin(api: httpx.Client, database_url: str) -> Account:
    """An admin made the way an operator makes the first one: the auth service's CLI."""
    account = register_and_login(api, "admin")
    subprocess.run(
        [sys.executable, "-m", "eqr_auth", "grant-admin", account.email],
        env={**os.environ, "DATABASE_URL": database_url, "MIGRATE_ON_START": "false"},
        check=True,
        capture_output=True,
        timeout=60,
    )
    login = api.post("/auth/login", json={"email": account.email, "password": account.password}).json()
    account.access_token, account.refresh_token = login["access_token"], login["refresh_token"]
    return account


@pytest.fixture(scope="session")
def signing_key(fleet: Fleet, database_url: str) -> tuple[str, Ed25519PrivateKey]:
    """The auth service's active private key, read from its schema to forge hostile tokens."""
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT kid, private_key_pem FROM auth.signing_keys"
            " WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    key = serialization.load_pem_private_key(row[1].encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return row[0], key
