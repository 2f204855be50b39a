"""Runs the fleet for development and tests: embedded PostgreSQL/NATS/Redis, services and gateway(s)."""

from eqr_launcher.errors import LauncherError, StartupTimeoutError
from eqr_launcher.fleet import Fleet
from eqr_launcher.infrastructure import InfraEndpoints, Infrastructure, InfraUrls
from eqr_launcher.registry import DEMO_EMAIL, DEMO_PASSWORD, GATEWAY, SERVICES, GatewayDef, ServiceDef

__all__ = [
    "DEMO_EMAIL",
    "DEMO_PASSWORD",
    "GATEWAY",
    "SERVICES",
    "Fleet",
    "GatewayDef",
    "InfraEndpoints",
    "InfraUrls",
    "Infrastructure",
    "LauncherError",
    "ServiceDef",
    "StartupTimeoutError",
]
