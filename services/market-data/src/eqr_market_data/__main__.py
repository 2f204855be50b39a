"""``python -m eqr_market_data [serve|migrate|import-bars SYMBOL FILE]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from eqr_market_data import bootstrap
from eqr_market_data.domain.errors import MarketDataError
from eqr_market_data.settings import MarketDataSettings
from eqr_platform.logging import configure_logging
from eqr_platform.telemetry import configure_tracing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eqr_market_data", description="The market-data service.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve gRPC (the default)")
    commands.add_parser("migrate", help="apply the database migrations and exit")
    load = commands.add_parser("import-bars", help="import an end-of-day file (CSV or Stooq)")
    load.add_argument("symbol")
    load.add_argument("file", type=Path)
    load.add_argument("--format", choices=("csv", "stooq"), default="csv")
    load.add_argument("--dry-run", action="store_true", help="report every bad row; store nothing")
    args = parser.parse_args(argv)

    settings = MarketDataSettings()
    configure_logging(settings.service_name, settings.log_level)
    if args.command == "migrate":
        bootstrap.migrate(settings)
    elif args.command == "import-bars":
        try:
            content = args.file.read_bytes()
            report = asyncio.run(
                bootstrap.import_file(settings, args.symbol, content, args.format, dry_run=args.dry_run)
            )
        except (MarketDataError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"accepted {report.accepted}, rejected {report.rejected}, flagged {report.flagged}")
        for issue in report.issues:
            print(f"  line {issue.line} {issue.field or '-'}: {issue.severity.value}: {issue.message}")
        return 1 if report.rejected else 0
    else:
        configure_tracing(settings.service_name, settings.otel_exporter_otlp_endpoint)
        asyncio.run(bootstrap.run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
