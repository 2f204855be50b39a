"""One launcher per data directory: an advisory lock the kernel releases when the holder dies."""

import fcntl
import os
from pathlib import Path

from eqr_launcher.errors import LauncherError


class DataDirLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / ".launcher.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = self.path.read_text().strip() or "another process"
            message = f"{self.path.parent} is in use by a running launcher (pid {holder})"
            raise LauncherError(message) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None
