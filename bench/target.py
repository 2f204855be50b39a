from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """The fleet a benchmark runs against (started once for the whole run)."""

    gateway_url: str
    database_url: str
    nats_url: str
    gateway_pid: int
