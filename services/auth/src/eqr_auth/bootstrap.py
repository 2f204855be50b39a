"""Composition root: settings in, a running service (or one CLI command) out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from eqr.auth.v1 import auth_service_pb2, auth_service_pb2_grpc
from eqr_auth.adapters.db.tables import SCHEMA, outbox
from eqr_auth.adapters.db.unit_of_work import SqlUnitOfWork
from eqr_auth.adapters.mail.mailbox import FileMailbox
from eqr_auth.adapters.mail.smtp import SmtpConfig, SmtpMailSender
from eqr_auth.adapters.security.passwords import Argon2PasswordHasher
from eqr_auth.adapters.security.signing import Ed25519TokenSigner
from eqr_auth.adapters.security.system import SystemClock, SystemSecrets
from eqr_auth.api.errors import ERRORS
from eqr_auth.api.servicer import AuthServicer
from eqr_auth.app import accounts, signing_keys
from eqr_auth.app.dependencies import Dependencies
from eqr_auth.app.ports import Clock, MailSender
from eqr_auth.settings import AuthSettings
from eqr_platform import bus
from eqr_platform.db import OutboxRelay, create_engine
from eqr_platform.db.migrations import upgrade
from eqr_platform.grpc.server import Servicer, serve
from eqr_platform.tokens import JwksCache, TokenVerifier

MIGRATIONS = Path(__file__).parent / "migrations"
STREAMS = [bus.StreamSpec("AUTH", ["eqr.auth.>"], max_age_seconds=90 * 86_400)]
KEY_ROTATION_CHECK_SECONDS = 3600.0


def migrate(settings: AuthSettings) -> None:
    upgrade(settings.database_url, SCHEMA, MIGRATIONS)


def _mail_sender(settings: AuthSettings, clock: Clock) -> MailSender:
    if settings.smtp_host:
        return SmtpMailSender(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                starttls=settings.smtp_starttls,
                sender=settings.mail_from,
            ),
            clock,
        )
    return FileMailbox(settings.mail_dir, clock, sender=settings.mail_from)


@asynccontextmanager
async def dependencies(settings: AuthSettings) -> AsyncIterator[tuple[Dependencies, AsyncEngine]]:
    engine = create_engine(settings.database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    clock = SystemClock()
    try:
        yield (
            Dependencies(
                unit_of_work=lambda: SqlUnitOfWork(sessions),
                clock=clock,
                secrets=SystemSecrets(),
                password_hasher=Argon2PasswordHasher(),
                token_signer=Ed25519TokenSigner(),
                mail_sender=_mail_sender(settings, clock),
                config=settings.auth_config(),
            ),
            engine,
        )
    finally:
        await engine.dispose()


async def run(settings: AuthSettings, *, stop: asyncio.Event | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or ``stop``), with the outbox relay and key rotation."""
    if settings.migrate_on_start:
        await asyncio.to_thread(migrate, settings)
    async with dependencies(settings) as (deps, engine):
        max_key_age = timedelta(days=settings.signing_key_max_age_days)
        await signing_keys.ensure_signing_key(deps, max_age=max_key_age)
        if settings.is_dev and settings.demo_email and settings.demo_password:
            await accounts.ensure_demo_user(
                deps, email=settings.demo_email, password=settings.demo_password.get_secret_value()
            )
        client, js = await bus.connect(settings.nats_url, name="auth")
        try:
            await bus.ensure_streams(js, STREAMS)

            async def rotate_keys(stop: asyncio.Event) -> None:
                while not stop.is_set():
                    try:
                        await asyncio.wait_for(stop.wait(), KEY_ROTATION_CHECK_SECONDS)
                    except TimeoutError:
                        await signing_keys.ensure_signing_key(deps, max_age=max_key_age)

            verifier = TokenVerifier(JwksCache(lambda: signing_keys.get_jwks(deps), min_refresh_seconds=1.0))
            await serve(
                settings,
                [
                    Servicer(
                        auth_service_pb2_grpc.add_AuthServiceServicer_to_server,
                        AuthServicer(deps),
                        auth_service_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name,
                    )
                ],
                errors=ERRORS,
                verifier=verifier,
                background=[OutboxRelay(engine, outbox, js).run, rotate_keys],
                stop=stop,
            )
        finally:
            await client.close()
