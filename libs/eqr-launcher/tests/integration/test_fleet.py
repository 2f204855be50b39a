"""The fleet machinery with stand-in processes: health, supervision, holding a service down, clean stop."""

import signal
import socket
import time
from pathlib import Path

import httpx
import psutil
import pytest

from eqr_launcher.errors import LauncherError
from eqr_launcher.fleet import Fleet
from eqr_launcher.health import grpc_serving
from eqr_launcher.infrastructure import InfraUrls
from eqr_launcher.registry import GatewayDef, ServiceDef

UNUSED_INFRA = InfraUrls(
    "postgresql+psycopg://postgres@127.0.0.1:1/eqr", "nats://127.0.0.1:1", "redis://127.0.0.1:1/0"
)
STAND_INS = [
    ServiceDef("auth", "eqr_fake_service", 50051, 9091),
    ServiceDef("market-data", "eqr_fake_service", 50052, 9092),
    ServiceDef("portfolio", "eqr_not_installed", 50053, 9093),
]


@pytest.mark.usefixtures("no_leftover_children")
def test_fleet_runs_supervises_and_stops_every_process(tmp_path: Path, fakes_on_path: dict[str, str]) -> None:
    fleet = Fleet(
        UNUSED_INFRA,
        data_dir=tmp_path,
        gateways=2,
        services=STAND_INS,
        gateway=GatewayDef(module="eqr_fake_gateway"),
        environ=fakes_on_path,
        stop_grace_seconds=3,
        startup_timeout=20,
    )
    with fleet:
        assert fleet.names == ["auth", "market-data", "gateway-1", "gateway-2"]
        first, second = (int(url.rsplit(":", 1)[1]) for url in fleet.gateway_urls)
        assert second == first + 1
        assert fleet.gateway_url == fleet.gateway_urls[0]
        assert httpx.get(f"{fleet.gateway_url}/readyz").status_code == 200
        assert grpc_serving(fleet.service_addr("market-data"))
        assert fleet.mail_dir == tmp_path / "mail"
        assert fleet.mail_dir.is_dir()
        with pytest.raises(LauncherError, match="not part of this fleet"):
            fleet.service_addr("portfolio")

        pids = [pid for name in fleet.names if (pid := fleet.pid(name)) is not None]
        crashed = fleet.pid("auth")
        fleet.kill("auth", signal.SIGKILL)
        fleet.wait_healthy("auth", timeout=20)
        assert fleet.restarts("auth") == 1
        assert fleet.pid("auth") != crashed
        assert grpc_serving(fleet.service_addr("auth"))
        pids.append(fleet.pid("auth") or 0)

        fleet.stop("auth")
        time.sleep(1.0)
        assert fleet.pid("auth") is None
        assert not grpc_serving(fleet.service_addr("auth"))
        fleet.start("auth")
        assert grpc_serving(fleet.service_addr("auth"))
        pids.append(fleet.pid("auth") or 0)

    assert not any(psutil.pid_exists(pid) for pid in pids)
    assert (tmp_path / "logs" / "auth.log").read_text().count("fake service serving") == 3


def test_a_pinned_gateway_port_that_is_taken_is_an_error(
    tmp_path: Path, fakes_on_path: dict[str, str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(LauncherError, match="not free"):
            Fleet(
                UNUSED_INFRA,
                data_dir=tmp_path,
                services=[],
                gateway=GatewayDef(module="eqr_fake_gateway"),
                gateway_port=busy.getsockname()[1],
            )


def test_a_fleet_without_a_gateway_says_so(tmp_path: Path) -> None:
    fleet = Fleet(
        UNUSED_INFRA, data_dir=tmp_path, services=[], gateway=GatewayDef(module="eqr_not_installed")
    )
    assert fleet.gateway_urls == []
    with pytest.raises(LauncherError, match="no gateway"):
        _ = fleet.gateway_url
