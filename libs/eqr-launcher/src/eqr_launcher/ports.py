"""Loopback port picking that never hands the same port out twice in one launcher process."""

import socket
import threading
from collections.abc import Sequence

LOOPBACK = "127.0.0.1"

_handed_out: set[int] = set()
_lock = threading.Lock()


def is_port_free(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def claim(ports: Sequence[int], host: str = LOOPBACK) -> bool:
    """Reserve all of `ports` when every one is free and not yet handed out; otherwise reserve none."""
    with _lock:
        if any(port in _handed_out or not is_port_free(port, host) for port in ports):
            return False
        _handed_out.update(ports)
        return True


def free_port(host: str = LOOPBACK) -> int:
    """An unused port chosen by the kernel, not yet handed out by this process."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port: int = probe.getsockname()[1]
        with _lock:
            if port not in _handed_out:
                _handed_out.add(port)
                return port


def pick_port(preferred: int | None, host: str = LOOPBACK) -> int:
    """`preferred` when it is free, otherwise a free port chosen by the kernel."""
    if preferred is not None and claim([preferred], host):
        return preferred
    return free_port(host)


def consecutive_free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    for _ in range(100):
        first = free_port(host)
        rest = list(range(first + 1, first + count))
        if claim(rest, host):
            return [first, *rest]
    raise OSError(f"found no {count} consecutive free ports on {host}")
