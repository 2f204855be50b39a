"""Request ids, settings parsing and the protobuf -> JSON mapping."""

from __future__ import annotations

import json
import uuid

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from eqr.auth.v1 import resources_pb2
from eqr_gateway.convert import preferences_out, preferences_update_pb, user_out
from eqr_gateway.middleware.request_id import choose_request_id
from eqr_gateway.schemas.account import PreferencesUpdate
from eqr_gateway.settings import GatewaySettings


def test_a_sane_request_id_is_kept() -> None:
    assert choose_request_id("req-42.a:b_C") == "req-42.a:b_C"


@pytest.mark.parametrize("offered", [None, "", "x" * 129, "has space", "new\nline", "<script>", "é"])
def test_an_insane_request_id_is_replaced(offered: str | None) -> None:
    chosen = choose_request_id(offered)
    assert chosen != offered
    assert uuid.UUID(hex=chosen)


def test_settings_defaults_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "http://localhost:5173, https://app.example.com,")
    monkeypatch.setenv("GATEWAY_PORT", "8100")
    monkeypatch.setenv("AUTH_ADDR", "auth:50051")
    settings = GatewaySettings()
    assert settings.cors_origins == ("http://localhost:5173", "https://app.example.com")
    assert settings.port == 8100
    assert settings.auth_addr == "auth:50051"
    assert settings.host == "127.0.0.1"
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.idempotency_ttl_seconds == 86400
    assert settings.security_headers is True


def test_no_cors_origins_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_CORS_ORIGINS", raising=False)
    assert GatewaySettings().cors_origins == ()


def _stamp(seconds: int, nanos: int = 0) -> Timestamp:
    return Timestamp(seconds=seconds, nanos=nanos)


def test_user_timestamps_are_iso_8601_utc_with_z() -> None:
    user = resources_pb2.User(
        id=str(uuid.uuid4()),
        email="ada@example.com",
        full_name="Ada",
        role=resources_pb2.ROLE_ANALYST,
        is_active=True,
        created_at=_stamp(1_700_000_000),
        updated_at=_stamp(1_700_000_000, 500_000_000),
    )
    body = json.loads(user_out(user).model_dump_json())
    assert body["created_at"] == "2023-11-14T22:13:20Z"
    assert body["updated_at"] == "2023-11-14T22:13:20.500000Z"
    assert body["last_login_at"] is None
    assert body["role"] == "analyst"
    assert set(body) == {
        "id",
        "email",
        "full_name",
        "role",
        "is_active",
        "created_at",
        "updated_at",
        "last_login_at",
    }


def test_preferences_update_sends_only_present_fields() -> None:
    update = PreferencesUpdate.model_validate({"theme": "dark", "dashboard_layout": {"a": [1, 2]}})
    preferences, mask = preferences_update_pb(update)
    assert mask == ["theme", "dashboard_layout_json"]
    assert preferences.theme == "dark"
    assert json.loads(preferences.dashboard_layout_json) == {"a": [1, 2]}


def test_preferences_layout_round_trips_and_tolerates_garbage() -> None:
    stored = resources_pb2.Preferences(theme="", dashboard_layout_json="{not json")
    out = preferences_out(stored)
    assert out.theme == "system"
    assert out.dashboard_layout == {}
