"""A child process kept alive: restarted with exponential backoff when it exits unexpectedly."""

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from eqr_launcher.errors import LauncherError, StartupTimeoutError
from eqr_launcher.logs import ProcessLog
from eqr_launcher.processes import ChildProcess, ProcessSpec

logger = logging.getLogger(__name__)

HealthCheck = Callable[[], bool]

_POLL_SECONDS = 0.1
_CRASHES_BEFORE_GIVING_UP_ON_STARTUP = 3


@dataclass(frozen=True)
class Backoff:
    first_seconds: float = 0.5
    max_seconds: float = 15.0
    stable_after_seconds: float = 30.0
    """A run that lasted this long counts as healthy: the next crash restarts after first_seconds again."""

    def next(self, previous: float, uptime: float) -> float:
        if uptime >= self.stable_after_seconds or previous <= 0:
            return self.first_seconds
        return min(previous * 2, self.max_seconds)


class SupervisedProcess:
    def __init__(
        self,
        spec: ProcessSpec,
        log: ProcessLog,
        health: HealthCheck,
        *,
        before_start: Callable[[], None] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.spec = spec
        self.log = log
        self._health = health
        self._before_start = before_start
        self._backoff = backoff or Backoff()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._child: ChildProcess | None = None
        self._monitor: threading.Thread | None = None
        self.restarts = 0

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None and child.poll() is None else None

    def start(self) -> None:
        with self._lock:
            if self._monitor is not None:
                raise LauncherError(f"{self.name} is already started")
            self._stopping.clear()
            self._launch()
            self._monitor = threading.Thread(target=self._watch, name=f"supervise-{self.name}", daemon=True)
            self._monitor.start()

    def healthy(self) -> bool:
        return self.pid is not None and self._health()

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        restarts_before = self.restarts
        while time.monotonic() < deadline:
            if self.healthy():
                return
            if self._monitor is None:
                raise LauncherError(f"{self.name} is stopped")
            if self.restarts - restarts_before >= _CRASHES_BEFORE_GIVING_UP_ON_STARTUP:
                raise StartupTimeoutError(self._failure(f"kept crashing ({self.restarts} restarts)"))
            time.sleep(_POLL_SECONDS)
        raise StartupTimeoutError(self._failure(f"did not become healthy within {timeout:.0f} s"))

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal the running process and wait for it to exit; the supervisor then restarts it."""
        child = self._child
        if child is None or child.poll() is not None:
            raise LauncherError(f"{self.name} is not running")
        child.send_signal(sig)
        if child.wait_exit(self.spec.stop_grace_seconds) is None:
            raise LauncherError(f"{self.name} (pid {child.pid}) did not exit on {sig.name}")

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            if self._child is not None:
                self._child.stop()
        if self._monitor is not None:
            self._monitor.join()
            self._monitor = None

    def _launch(self) -> None:
        if self._before_start is not None:
            self._before_start()
        self._child = ChildProcess(self.spec, self.log)

    def _watch(self) -> None:
        delay = 0.0
        while not self._stopping.wait(_POLL_SECONDS):
            child = self._child
            code = child.poll() if child is not None else None
            if child is None or code is None:
                continue
            uptime = time.monotonic() - child.started_at
            delay = self._backoff.next(delay, uptime)
            logger.warning(
                "%s exited unexpectedly with code %s after %.1f s; restarting in %.1f s",
                self.name,
                code,
                uptime,
                delay,
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    self._launch()
                except Exception:
                    logger.exception("%s could not be restarted", self.name)
                    continue
                self.restarts += 1
            logger.warning("%s restarted (pid %s)", self.name, self._child.pid if self._child else "?")

    def _failure(self, what: str) -> str:
        child = self._child
        code = child.poll() if child is not None else None
        state = f"exit code {code}" if code is not None else "still running"
        return f"{self.name} {what} ({state}); last lines of {self.log.path}:\n{self.log.tail()}"
