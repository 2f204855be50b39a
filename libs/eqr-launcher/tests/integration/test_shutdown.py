"""Ctrl-C / SIGTERM: the launcher stops everything it started and leaves no process or lock behind."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.infra  # `infra` starts the real embedded servers

FAKES = Path(__file__).parents[1] / "fakes"


def start(argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def read_until(process: subprocess.Popen[str], marker: str) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError("exited before printing " + repr(marker) + ":\n" + "\n".join(lines))


def stop_and_check(process: subprocess.Popen[str], sig: signal.Signals) -> str:
    family = psutil.Process(process.pid).children(recursive=True)
    assert family, "the launcher started no child processes"
    process.send_signal(sig)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    survivors = [
        member for member in family if member.is_running() and member.status() != psutil.STATUS_ZOMBIE
    ]
    assert survivors == []
    return output


def test_ctrl_c_stops_the_infra_command_cleanly(data_dir: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.endswith("_URL")}
    process = start([sys.executable, "-m", "eqr_launcher", "infra", "--data-dir", str(data_dir)], env)
    lines = read_until(process, "Ctrl-C stops them")
    exports = [line for line in lines if line.startswith("export ")]
    assert [line.split("=", 1)[0] for line in exports] == [
        "export DATABASE_URL",
        "export NATS_URL",
        "export REDIS_URL",
    ]
    output = stop_and_check(process, signal.SIGINT)
    assert "stopped; data kept in" in output
    assert not (data_dir / ".launcher.lock").exists()
    assert not (data_dir / "postgres" / "postmaster.pid").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_shutdown_signal_stops_a_fleet(tmp_path: Path, sig: signal.Signals) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(FAKES)!r})
        from eqr_launcher.fleet import Fleet
        from eqr_launcher.infrastructure import InfraUrls
        from eqr_launcher.registry import GatewayDef, ServiceDef
        from eqr_launcher.signals import ShutdownSignals, wait_for_shutdown

        infra = InfraUrls("postgresql://unused", "nats://unused", "redis://unused")
        services = [ServiceDef(name, "eqr_fake_service", 0, 0) for name in ("auth", "options")]
        with ShutdownSignals():
            try:
                with Fleet(infra, data_dir={str(tmp_path)!r}, services=services,
                           gateway=GatewayDef(module="eqr_fake_gateway"), stop_grace_seconds=5):
                    print("fleet is up", flush=True)
                    wait_for_shutdown()
            except KeyboardInterrupt:
                print("fleet stopped", flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(FAKES)}
    process = start([sys.executable, "-c", script], env)
    read_until(process, "fleet is up")
    assert len(psutil.Process(process.pid).children()) == 3
    assert "fleet stopped" in stop_and_check(process, sig)
