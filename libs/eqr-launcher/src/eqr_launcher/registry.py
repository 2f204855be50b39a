"""The fleet's processes, their default ports and the environment each one is started with."""

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from eqr_launcher.infrastructure import InfraEndpoints
from eqr_launcher.ports import LOOPBACK

DEMO_EMAIL = "demo@eqr.dev"
DEMO_PASSWORD = "equity-research-2026"
"""The dev login the auth service seeds from AUTH_DEMO_EMAIL / AUTH_DEMO_PASSWORD."""


def module_installed(module: str) -> bool:
    """`python -m module` would run a package's __main__ (found without importing the package)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return False
    locations = spec.submodule_search_locations if spec is not None else None
    return any((Path(location) / "__main__.py").is_file() for location in locations or [])


@dataclass(frozen=True)
class ServiceDef:
    id: str
    module: str
    grpc_port: int
    metrics_port: int

    @property
    def env_prefix(self) -> str:
        return self.id.upper().replace("-", "_")

    @property
    def addr_var(self) -> str:
        return f"{self.env_prefix}_ADDR"


@dataclass(frozen=True)
class GatewayDef:
    module: str = "eqr_gateway"
    port: int = 8000


def _service(service_id: str, grpc_port: int, metrics_port: int) -> ServiceDef:
    return ServiceDef(service_id, "eqr_" + service_id.replace("-", "_"), grpc_port, metrics_port)


SERVICES: tuple[ServiceDef, ...] = (
    _service("auth", 50051, 9091),
    _service("market-data", 50052, 9092),
    _service("portfolio", 50053, 9093),
    _service("analytics", 50054, 9094),
    _service("options", 50055, 9095),
    _service("reporting", 50056, 9096),
)
GATEWAY = GatewayDef()


def address(port: int) -> str:
    return f"{LOOPBACK}:{port}"


def shared_env(infra: InfraEndpoints, addresses: Mapping[ServiceDef, str], log_level: str) -> dict[str, str]:
    """What every process of the fleet gets: the infrastructure, every service's address, the basics."""
    return {
        "DATABASE_URL": infra.database_url,
        "NATS_URL": infra.nats_url,
        "REDIS_URL": infra.redis_url,
        "LOG_LEVEL": log_level,
        "ENVIRONMENT": "dev",
        "PYTHONUNBUFFERED": "1",
        **{service.addr_var: addr for service, addr in addresses.items()},
    }


def service_specific_env(service: ServiceDef, data_dir: Path) -> dict[str, str]:
    if service.id == "auth":
        return {
            "AUTH_MAIL_DIR": str(data_dir / "mail"),
            "AUTH_DEMO_EMAIL": DEMO_EMAIL,
            "AUTH_DEMO_PASSWORD": DEMO_PASSWORD,
        }
    return {}


def service_env(
    service: ServiceDef,
    *,
    shared: Mapping[str, str],
    grpc_port: int,
    metrics_port: int,
    data_dir: Path,
) -> dict[str, str]:
    return {
        **shared,
        "GRPC_PORT": str(grpc_port),
        "HTTP_PORT": str(metrics_port),
        "MIGRATE_ON_START": "true",
        **service_specific_env(service, data_dir),
    }


def gateway_env(*, shared: Mapping[str, str], port: int, metrics_port: int) -> dict[str, str]:
    """The gateway serves /metrics on GATEWAY_PORT; HTTP_PORT keeps any extra listener off the defaults."""
    return {**shared, "GATEWAY_HOST": LOOPBACK, "GATEWAY_PORT": str(port), "HTTP_PORT": str(metrics_port)}
