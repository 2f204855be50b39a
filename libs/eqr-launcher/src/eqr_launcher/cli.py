"""`python -m eqr_launcher up|infra`: a thin command line over Infrastructure and Fleet."""

import argparse
import json
import logging
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from eqr_launcher.errors import LauncherError
from eqr_launcher.fleet import Fleet
from eqr_launcher.infrastructure import Infrastructure, InfraUrls
from eqr_launcher.logs import PREFIX_WIDTH
from eqr_launcher.paths import default_data_dir
from eqr_launcher.registry import DEMO_EMAIL, DEMO_PASSWORD
from eqr_launcher.signals import ShutdownSignals, wait_for_shutdown

logger = logging.getLogger("eqr_launcher")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=f"{'launcher':<{PREFIX_WIDTH}}| %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    data_dir: Path = args.data_dir or default_data_dir()
    with ShutdownSignals():
        try:
            if args.command == "up":
                _up(data_dir, args.gateways, args.log_level)
            else:
                _infra(data_dir)
        except KeyboardInterrupt:
            logger.info("stopped; data kept in %s", data_dir)
        except LauncherError as error:
            logger.error("%s", error)
            return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eqr_launcher",
        description="Run the platform locally: PostgreSQL, NATS and Redis (embedded unless *_URL are set),"
        " every installed service and the gateway.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run PostgreSQL, NATS, Redis, every service and the gateway")
    up.add_argument("--gateways", type=int, default=1, help="gateway processes on consecutive ports")
    up.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"))
    infra = commands.add_parser("infra", help="run only PostgreSQL, NATS and Redis; print their URLs")
    for command in (up, infra):
        command.add_argument(
            "--data-dir", type=Path, help="state directory (default: .data/ at the repo root)"
        )
    return parser


def _pinned_gateway_port() -> int | None:
    value = os.environ.get("GATEWAY_PORT", "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise LauncherError(f"GATEWAY_PORT must be a port number, not {value!r}")
    return int(value)


def _up(data_dir: Path, gateways: int, log_level: str) -> None:
    pinned = _pinned_gateway_port()
    with (
        Infrastructure(data_dir) as infra,
        Fleet(
            infra,
            data_dir=data_dir,
            gateways=gateways,
            default_ports=True,
            gateway_port=pinned,
            console=True,
            log_level=log_level,
        ) as fleet,
    ):
        print(_banner(fleet, infra.urls, data_dir), flush=True)
        wait_for_shutdown()


def _infra(data_dir: Path) -> None:
    with Infrastructure(data_dir) as infra:
        for name, value in infra.urls.env().items():
            print(f"export {name}={shlex.quote(value)}", flush=True)
        print(f"# {', '.join(infra.embedded) or 'nothing'} embedded; Ctrl-C stops them", file=sys.stderr)
        wait_for_shutdown()


def _banner(fleet: Fleet, urls: InfraUrls, data_dir: Path) -> str:
    lines = ["", "The Equity Research Platform is up."]
    if fleet.gateway_urls:
        gateway = fleet.gateway_url
        login = json.dumps({"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        lines += [
            *(f"  gateway   {url}" for url in fleet.gateway_urls),
            f"  docs      {gateway}/docs",
            f"  login     {DEMO_EMAIL} / {DEMO_PASSWORD}",
            f"            curl -s -X POST {gateway}/api/v1/auth/login"
            f" -H 'Content-Type: application/json' -d {shlex.quote(login)}",
        ]
    else:
        lines.append("  gateway   not installed (eqr_gateway has no __main__)")
    lines += [
        f"  services  {', '.join(f'{s.id}={fleet.service_addr(s.id)}' for s in fleet.services) or 'none'}",
        f"  postgres  {urls.database_url}",
        f"  nats      {urls.nats_url}",
        f"  redis     {urls.redis_url}",
        f"  data      {data_dir}",
        "Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)
