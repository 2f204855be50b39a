"""One run of a child process in its own process group, stopped gracefully and then forcibly."""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass

from eqr_launcher.logs import ProcessLog
from eqr_launcher.system_user import RunAs


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    """The child's whole environment."""
    user: str | None = None
    stop_signal: signal.Signals = signal.SIGTERM
    stop_grace_seconds: float = 10.0


class ChildProcess:
    """A started process; its pid is also its process group id, so stop() reaches every descendant."""

    def __init__(self, spec: ProcessSpec, log: ProcessLog) -> None:
        self.spec = spec
        log.begin_run(" ".join(spec.argv))
        self.started_at = time.monotonic()
        identity = RunAs.account(spec.user)
        output = log.child_output()
        try:
            self._popen = subprocess.Popen(  # noqa: S603 (argv from our own specs, no shell)
                spec.argv,
                env=dict(spec.env),
                user=identity.user,
                group=identity.group,
                extra_groups=identity.extra_groups,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if not isinstance(output, int):
                output.close()
        log.follow(self._popen)

    @property
    def pid(self) -> int:
        return self._popen.pid

    def poll(self) -> int | None:
        return self._popen.poll()

    def send_signal(self, sig: signal.Signals) -> None:
        if self._popen.poll() is None:
            self._popen.send_signal(sig)

    def wait_exit(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while (code := self._popen.poll()) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return code

    def stop(self) -> int | None:
        """Ask with the spec's stop signal, force with SIGKILL after the grace period, sweep the group."""
        self.send_signal(self.spec.stop_signal)
        code = self.wait_exit(self.spec.stop_grace_seconds)
        if code is None:
            self._kill_group()
            code = self.wait_exit(5.0)
        self._kill_group()
        self._wait_group_gone(5.0)
        return code

    def _wait_group_gone(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self._popen.pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.01)

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, signal.SIGKILL)
