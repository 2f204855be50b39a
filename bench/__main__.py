"""Run every benchmark and write the results, with the machine and date, to docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import auth_gateway

RESULTS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BENCHMARKS = {"auth": auth_gateway.run}


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


def main(selected: list[str]) -> int:
    sections = [BENCHMARKS[name]() for name in (selected or list(BENCHMARKS))]
    header = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); numbers from one run on the machine below.",
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
