from pathlib import Path

import pytest

from eqr_launcher.infrastructure import InfraUrls
from eqr_launcher.registry import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    SERVICES,
    ServiceDef,
    gateway_env,
    module_installed,
    service_env,
    shared_env,
)

INFRA = InfraUrls(
    database_url="postgresql+psycopg://postgres@127.0.0.1:5999/eqr",
    nats_url="nats://127.0.0.1:4999",
    redis_url="redis://127.0.0.1:6999/0",
)
AUTH, MARKET_DATA = SERVICES[0], SERVICES[1]


def test_the_registry_follows_the_fleet_conventions() -> None:
    assert [(s.id, s.module, s.grpc_port, s.metrics_port) for s in SERVICES] == [
        ("auth", "eqr_auth", 50051, 9091),
        ("market-data", "eqr_market_data", 50052, 9092),
        ("portfolio", "eqr_portfolio", 50053, 9093),
        ("analytics", "eqr_analytics", 50054, 9094),
        ("options", "eqr_options", 50055, 9095),
        ("reporting", "eqr_reporting", 50056, 9096),
    ]
    assert MARKET_DATA.addr_var == "MARKET_DATA_ADDR"


def test_shared_env_names_infrastructure_and_every_service_address() -> None:
    env = shared_env(INFRA, {AUTH: "127.0.0.1:1001", MARKET_DATA: "127.0.0.1:1002"}, "DEBUG")
    assert env == {
        "DATABASE_URL": INFRA.database_url,
        "NATS_URL": INFRA.nats_url,
        "REDIS_URL": INFRA.redis_url,
        "LOG_LEVEL": "DEBUG",
        "ENVIRONMENT": "dev",
        "PYTHONUNBUFFERED": "1",
        "AUTH_ADDR": "127.0.0.1:1001",
        "MARKET_DATA_ADDR": "127.0.0.1:1002",
    }


def test_auth_gets_its_ports_migrations_mail_dir_and_demo_login(tmp_path: Path) -> None:
    env = service_env(
        AUTH, shared={"LOG_LEVEL": "INFO"}, grpc_port=1001, metrics_port=2001, data_dir=tmp_path
    )
    assert env == {
        "LOG_LEVEL": "INFO",
        "GRPC_PORT": "1001",
        "HTTP_PORT": "2001",
        "MIGRATE_ON_START": "true",
        "AUTH_MAIL_DIR": str(tmp_path / "mail"),
        "AUTH_DEMO_EMAIL": DEMO_EMAIL,
        "AUTH_DEMO_PASSWORD": DEMO_PASSWORD,
    }


def test_other_services_get_no_auth_settings(tmp_path: Path) -> None:
    env = service_env(MARKET_DATA, shared={}, grpc_port=1002, metrics_port=2002, data_dir=tmp_path)
    assert not any(name.startswith("AUTH_") for name in env)
    assert env["GRPC_PORT"] == "1002"


def test_gateway_env_binds_loopback_on_its_port() -> None:
    env = gateway_env(shared={"AUTH_ADDR": "127.0.0.1:1001"}, port=8123, metrics_port=9123)
    assert env == {
        "AUTH_ADDR": "127.0.0.1:1001",
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": "8123",
        "HTTP_PORT": "9123",
    }


@pytest.mark.parametrize(
    ("module", "installed"), [("eqr_fake_service", True), ("json", False), ("no_such", False)]
)
def test_a_module_counts_as_installed_when_it_can_run_with_python_m(
    fakes_on_path: dict[str, str], module: str, installed: bool
) -> None:
    assert module_installed(module) is installed


def test_service_def_env_prefix() -> None:
    assert ServiceDef("x-y-z", "eqr_x_y_z", 1, 2).env_prefix == "X_Y_Z"
