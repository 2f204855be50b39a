"""Ctrl-C and SIGTERM handling for the launcher's main thread."""

import logging
import signal
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any, Self

logger = logging.getLogger(__name__)

SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers


class ShutdownSignals:
    """The first SIGINT/SIGTERM/SIGHUP raises KeyboardInterrupt so every `with` block unwinds and stops
    its processes; later ones are only logged, so that unwinding is never cut short."""

    def __init__(self) -> None:
        self.received: signal.Signals | None = None
        self._previous: dict[signal.Signals, Handler] = {}

    def __enter__(self) -> Self:
        for sig in SHUTDOWN_SIGNALS:
            previous = signal.signal(sig, self._handle)
            self._previous[sig] = signal.SIG_DFL if previous is None else previous
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            logger.warning("already stopping, please wait")
            return
        self.received = signal.Signals(signum)
        logger.info("%s received, stopping", self.received.name)
        raise KeyboardInterrupt


def wait_for_shutdown() -> None:
    """Block the main thread until a shutdown signal interrupts it."""
    while True:
        signal.pause()
