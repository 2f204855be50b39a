"""``python -m eqr_auth [serve|migrate|grant-admin EMAIL|rotate-keys]``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from eqr_auth import bootstrap
from eqr_auth.app import operators, signing_keys
from eqr_auth.domain.errors import DomainError
from eqr_auth.settings import AuthSettings
from eqr_platform.logging import configure_logging
from eqr_platform.telemetry import configure_tracing


async def _grant_admin(settings: AuthSettings, email: str) -> None:
    async with bootstrap.dependencies(settings) as (deps, _engine):
        user = await operators.grant_admin(deps, email=email)
    print(f"{user.email} is now an admin")


async def _rotate_keys(settings: AuthSettings) -> None:
    async with bootstrap.dependencies(settings) as (deps, _engine):
        key = await signing_keys.rotate_signing_key(deps)
    print(f"new signing key {key.key_id}; older keys stay published until their tokens expire")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eqr_auth", description="The auth service.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve gRPC (the default)")
    commands.add_parser("migrate", help="apply the database migrations and exit")
    grant = commands.add_parser("grant-admin", help="make an existing account an admin")
    grant.add_argument("email")
    commands.add_parser("rotate-keys", help="start signing with a new key now")
    args = parser.parse_args(argv)

    settings = AuthSettings()
    configure_logging(settings.service_name, settings.log_level)
    try:
        match args.command:
            case "migrate":
                bootstrap.migrate(settings)
            case "grant-admin":
                asyncio.run(_grant_admin(settings, args.email))
            case "rotate-keys":
                asyncio.run(_rotate_keys(settings))
            case _:
                configure_tracing(settings.service_name, settings.otel_exporter_otlp_endpoint)
                asyncio.run(bootstrap.run(settings))
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
