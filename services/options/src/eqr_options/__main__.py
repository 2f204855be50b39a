"""``python -m eqr_options [serve|migrate]``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from eqr_options import bootstrap
from eqr_options.settings import OptionsSettings
from eqr_platform.logging import configure_logging
from eqr_platform.telemetry import configure_tracing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eqr_options", description="The options service.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve gRPC (the default)")
    commands.add_parser("migrate", help="apply the database migrations and exit")
    args = parser.parse_args(argv)

    settings = OptionsSettings()
    configure_logging(settings.service_name, settings.log_level)
    if args.command == "migrate":
        bootstrap.migrate(settings)
    else:
        configure_tracing(settings.service_name, settings.otel_exporter_otlp_endpoint)
        asyncio.run(bootstrap.run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
