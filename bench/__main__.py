"""Run every benchmark and write the results, with the machine and date, to docs/benchmarks.md."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench import auth_gateway, market_data, options, portfolio, websocket
from bench.target import Target
from eqr_launcher.fleet import Fleet
from eqr_launcher.infrastructure import Infrastructure

SETTLE_SECONDS = 5.0
RESULTS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
FLEET_BENCHMARKS: dict[str, Callable[[Target], str]] = {
    "auth": auth_gateway.run,
    "market-data": market_data.run,
    "portfolio": portfolio.run,
    "websocket": websocket.run,
}
IN_PROCESS_BENCHMARKS: dict[str, Callable[[], str]] = {"options": options.run}
"""Run after the fleet has stopped: an idle fleet still ticks quotes, which would share the
cores with the kernels measured."""


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    memory_gib = memory_kib / 1024 / 1024
    return f"{os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB, Python {platform.python_version()}"


def settle(target: Target) -> None:
    """Let a fresh fleet become a steady one before measuring. The simulator's back-fill is
    over once the fleet is healthy (market-data serves only after it), but it has just written
    ~400k rows: analysed and flushed now, they leave autovacuum nothing to do and the next
    checkpoint little to write during the measurements."""
    with psycopg.connect(
        target.database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute("VACUUM ANALYZE")
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):  # a server of someone else's
            conn.execute("CHECKPOINT")
    time.sleep(SETTLE_SECONDS)


def _on_the_fleet(names: list[str]) -> list[str]:
    if not names:
        return []
    with tempfile.TemporaryDirectory(prefix="eqr-bench-") as tmp:
        data = Path(tmp)
        with (
            Infrastructure(data) as infra,
            Fleet(infra, data_dir=data / "fleet", log_level="WARNING") as fleet,
        ):
            gateway_pid = fleet.pid("gateway")
            assert gateway_pid is not None
            target = Target(
                gateway_url=fleet.gateway_url,
                database_url=infra.database_url,
                nats_url=infra.nats_url,
                gateway_pid=gateway_pid,
            )
            settle(target)
            return [FLEET_BENCHMARKS[name](target) for name in names]


def main(selected: list[str]) -> int:
    unknown = sorted(set(selected) - FLEET_BENCHMARKS.keys() - IN_PROCESS_BENCHMARKS.keys())
    if unknown:
        print(f"unknown benchmarks: {', '.join(unknown)}", file=sys.stderr)
        return 2
    names = selected or [*FLEET_BENCHMARKS, *IN_PROCESS_BENCHMARKS]
    sections = _on_the_fleet([n for n in names if n in FLEET_BENCHMARKS])
    sections += [IN_PROCESS_BENCHMARKS[n]() for n in names if n in IN_PROCESS_BENCHMARKS]
    header = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); numbers from one run on the machine below.",
        "The fleet is the launcher's (embedded PostgreSQL, NATS and Redis, every service and one",
        "gateway process), started fresh, vacuumed and checkpointed, then measured by one",
        "load-generator process on the same 2 cores: every figure includes that contention. The",
        "load generator is a minimal keep-alive HTTP/1.1 client (bench/rawhttp.py), because httpx",
        "spends more CPU per request than the gateway does. Errors are counted by HTTP status.",
        "In-process benchmarks (the options mathematics) run after the fleet has stopped.",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {_machine()}",
        "",
    ]
    RESULTS.write_text("\n".join(header + sections) + "\n")
    print(RESULTS.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
