"""Where a child's output goes: always its own file, optionally echoed to the console with a name prefix."""

import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

PREFIX_WIDTH = 12

_console_lock = threading.Lock()


def console_line(name: str, text: str) -> None:
    with _console_lock:
        sys.stdout.write(f"{name:<{PREFIX_WIDTH}}| {text}\n")
        sys.stdout.flush()


@dataclass(frozen=True)
class ProcessLog:
    path: Path
    echo_as: str | None = None
    """Name to prefix echoed lines with; None keeps the output in the file only."""

    def begin_run(self, description: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as file:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            file.write(f"===== {stamp} starting {description}\n".encode())

    def child_output(self) -> IO[bytes] | int:
        """What to hand to Popen as stdout (stderr is merged into it)."""
        return subprocess.PIPE if self.echo_as is not None else self.path.open("ab")

    def follow(self, process: "subprocess.Popen[bytes]") -> None:
        """Copy a piped child's output to the file and the console until the pipe closes."""
        if process.stdout is None or self.echo_as is None:
            return
        threading.Thread(
            target=self._pump, args=(process.stdout, self.echo_as), name=f"log-{self.echo_as}", daemon=True
        ).start()

    def _pump(self, stream: IO[bytes], name: str) -> None:
        with self.path.open("ab") as file, stream:
            for raw in stream:
                console_line(name, raw.decode(errors="replace").rstrip("\r\n"))
                file.write(raw)
                file.flush()

    def tail(self, lines: int = 40) -> str:
        try:
            with self.path.open("rb") as file:
                file.seek(max(0, file.seek(0, 2) - 64 * 1024))
                text = file.read().decode(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
