"""PostgreSQL, NATS and Redis for the fleet: the servers *_URL name, or embedded ones under the data dir."""

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from eqr_launcher.errors import LauncherError
from eqr_launcher.locking import DataDirLock
from eqr_launcher.nats import EmbeddedNats
from eqr_launcher.paths import default_data_dir
from eqr_launcher.postgres import EmbeddedPostgres
from eqr_launcher.redis import EmbeddedRedis

logger = logging.getLogger(__name__)


class InfraEndpoints(Protocol):
    @property
    def database_url(self) -> str: ...
    @property
    def nats_url(self) -> str: ...
    @property
    def redis_url(self) -> str: ...


@dataclass(frozen=True)
class InfraUrls:
    database_url: str
    nats_url: str
    redis_url: str

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "NATS_URL": self.nats_url, "REDIS_URL": self.redis_url}


class EmbeddedServer(Protocol):
    name: str

    @property
    def url(self) -> str: ...
    def start(self) -> None: ...
    def wait_ready(self, timeout: float) -> None: ...
    def stop(self) -> None: ...


_EMBEDDED: dict[str, Callable[[Path, Path], EmbeddedServer]] = {
    "NATS_URL": EmbeddedNats,
    "REDIS_URL": EmbeddedRedis,
    "DATABASE_URL": EmbeddedPostgres,  # last: its first start runs initdb while the others boot
}


class Infrastructure:
    """`with Infrastructure(data_dir) as infra:` runs what the environment does not provide."""

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.log_dir = self.data_dir / "logs"
        self._environ = os.environ if environ is None else environ
        self._startup_timeout = startup_timeout
        self._lock = DataDirLock(self.data_dir)
        self._servers: list[EmbeddedServer] = []
        self._urls: dict[str, str] = {}
        self.startup_seconds = 0.0

    @property
    def database_url(self) -> str:
        return self._url("DATABASE_URL")

    @property
    def nats_url(self) -> str:
        return self._url("NATS_URL")

    @property
    def redis_url(self) -> str:
        return self._url("REDIS_URL")

    @property
    def urls(self) -> InfraUrls:
        return InfraUrls(self.database_url, self.nats_url, self.redis_url)

    @property
    def embedded(self) -> tuple[str, ...]:
        """Names of the servers this launcher runs (the others come from *_URL)."""
        return tuple(server.name for server in self._servers)

    def start(self) -> None:
        began = time.monotonic()
        wanted = [var for var in _EMBEDDED if not self._environ.get(var)]
        self._urls = {var: self._environ[var] for var in _EMBEDDED if var not in wanted}
        if wanted:
            self._lock.acquire()
        try:
            for var in wanted:
                server = _EMBEDDED[var](self.data_dir, self.log_dir)
                self._servers.append(server)
                self._urls[var] = server.url
                server.start()
            for server in self._servers:
                server.wait_ready(self._startup_timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        logger.info(
            "infrastructure ready in %.1f s (embedded: %s)",
            self.startup_seconds,
            ", ".join(self.embedded) or "none",
        )

    def stop(self) -> None:
        while self._servers:
            server = self._servers.pop()
            try:
                server.stop()
            except Exception:
                logger.exception("stopping %s failed", server.name)
        self._lock.release()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _url(self, var: str) -> str:
        try:
            return self._urls[var]
        except KeyError:
            raise LauncherError("the infrastructure is not started") from None
