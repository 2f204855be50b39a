"""Every service and the gateway as supervised OS processes on top of the infrastructure."""

import logging
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Self

from eqr_launcher.errors import LauncherError
from eqr_launcher.health import grpc_serving, http_ok
from eqr_launcher.infrastructure import InfraEndpoints
from eqr_launcher.logs import ProcessLog
from eqr_launcher.paths import default_data_dir
from eqr_launcher.ports import LOOPBACK, claim, consecutive_free_ports, free_port, pick_port
from eqr_launcher.processes import ProcessSpec
from eqr_launcher.registry import (
    GATEWAY,
    SERVICES,
    GatewayDef,
    ServiceDef,
    address,
    gateway_env,
    module_installed,
    service_env,
    shared_env,
)
from eqr_launcher.supervisor import HealthCheck, SupervisedProcess

logger = logging.getLogger(__name__)


class Fleet:
    """`with Fleet(infra, data_dir=...) as fleet:` starts the installed services, then the gateway(s).

    `default_ports` (the `up` command) puts services on their well-known ports when those are free;
    otherwise every port is a free one. `gateway_port` pins the first gateway port.
    """

    def __init__(
        self,
        infra: InfraEndpoints,
        *,
        data_dir: Path | str | None = None,
        gateways: int = 1,
        default_ports: bool = False,
        gateway_port: int | None = None,
        console: bool = False,
        log_level: str = "INFO",
        services: Sequence[ServiceDef] = SERVICES,
        gateway: GatewayDef = GATEWAY,
        startup_timeout: float = 90.0,
        stop_grace_seconds: float = 15.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if gateways < 0:
            raise ValueError("gateways must be >= 0")
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.mail_dir = self.data_dir / "mail"
        self.log_dir = self.data_dir / "logs"
        self._console = console
        self._startup_timeout = startup_timeout
        self._grace = stop_grace_seconds
        self._environ = dict(os.environ if environ is None else environ)

        self.services = [service for service in services if module_installed(service.module)]
        self._grpc_ports = {
            service.id: pick_port(service.grpc_port if default_ports else None) for service in self.services
        }
        shared = shared_env(
            infra, {service: self.service_addr(service.id) for service in self.services}, log_level
        )
        self._services = {
            service.id: self._service_process(service, shared, default_ports) for service in self.services
        }
        if gateways and module_installed(gateway.module):
            ports = _gateway_ports(gateway, gateways, gateway_port, default_ports)
        else:
            ports = []
        self.gateway_urls = [f"http://{LOOPBACK}:{port}" for port in ports]
        self._gateways = {
            name: self._supervised(
                name,
                gateway.module,
                gateway_env(shared=shared, port=port, metrics_port=free_port()),
                partial(http_ok, f"{url}/readyz"),
            )
            for name, port, url in zip(_gateway_names(len(ports)), ports, self.gateway_urls, strict=True)
        }

    @property
    def gateway_url(self) -> str:
        if not self.gateway_urls:
            raise LauncherError("the fleet runs no gateway (eqr_gateway is not installed)")
        return self.gateway_urls[0]

    @property
    def names(self) -> list[str]:
        return [*self._services, *self._gateways]

    def service_addr(self, service_id: str) -> str:
        try:
            return address(self._grpc_ports[service_id])
        except KeyError:
            raise LauncherError(f"{service_id} is not part of this fleet") from None

    def pid(self, name: str) -> int | None:
        return self._process(name).pid

    def restarts(self, name: str) -> int:
        return self._process(name).restarts

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal a running process as a crash would; its supervisor restarts it."""
        self._process(name).kill(sig)

    def wait_healthy(self, name: str, timeout: float | None = None) -> None:
        self._process(name).wait_healthy(timeout or self._startup_timeout)

    def stop(self, name: str) -> None:
        """Stop one process and keep it down (no restart) until start(name)."""
        self._process(name).stop()

    def start(self, name: str) -> None:
        process = self._process(name)
        process.start()
        process.wait_healthy(self._startup_timeout)

    def start_all(self) -> None:
        began = time.monotonic()
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        try:
            for group in (self._services, self._gateways):
                for process in group.values():
                    process.start()
                for process in group.values():
                    process.wait_healthy(self._startup_timeout)
        except BaseException:
            self.stop_all()
            raise
        logger.info("fleet healthy in %.1f s: %s", time.monotonic() - began, ", ".join(self.names))

    def stop_all(self) -> None:
        """Gateways first (no new requests), then the services, each group in parallel."""
        for group in (self._gateways, self._services):
            if group:
                with ThreadPoolExecutor(max_workers=len(group)) as pool:
                    list(pool.map(lambda process: process.stop(), group.values()))

    def __enter__(self) -> Self:
        self.start_all()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_all()

    def _process(self, name: str) -> SupervisedProcess:
        process = self._services.get(name) or self._gateways.get(name)
        if process is None:
            raise LauncherError(f"no process named {name!r}; the fleet runs {', '.join(self.names)}")
        return process

    def _service_process(
        self, service: ServiceDef, shared: Mapping[str, str], default_ports: bool
    ) -> SupervisedProcess:
        env = service_env(
            service,
            shared=shared,
            grpc_port=self._grpc_ports[service.id],
            metrics_port=pick_port(service.metrics_port if default_ports else None),
            data_dir=self.data_dir,
        )
        return self._supervised(
            service.id, service.module, env, partial(grpc_serving, self.service_addr(service.id))
        )

    def _supervised(
        self, name: str, module: str, env: Mapping[str, str], health: HealthCheck
    ) -> SupervisedProcess:
        return SupervisedProcess(
            ProcessSpec(
                name=name,
                argv=(sys.executable, "-m", module),
                env={**self._environ, **env},
                stop_grace_seconds=self._grace,
            ),
            ProcessLog(self.log_dir / f"{name}.log", echo_as=name if self._console else None),
            health,
        )


def _gateway_names(count: int) -> list[str]:
    return ["gateway"] if count == 1 else [f"gateway-{index}" for index in range(1, count + 1)]


def _gateway_ports(gateway: GatewayDef, count: int, pinned: int | None, default_ports: bool) -> list[int]:
    first = pinned if pinned is not None else gateway.port if default_ports else None
    if first is not None:
        wanted = list(range(first, first + count))
        if claim(wanted):
            return wanted
        if pinned is not None:
            raise LauncherError(f"gateway port(s) {wanted[0]}..{wanted[-1]} are not free")
    return consecutive_free_ports(count)
