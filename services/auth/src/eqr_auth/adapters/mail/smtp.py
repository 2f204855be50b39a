"""Sends mail through an SMTP relay; smtplib blocks, so it runs in a worker thread."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from eqr_auth.adapters.mail.message import build_message
from eqr_auth.app.ports import Clock, OutgoingMail


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    sender: str = "Equity Research <no-reply@eqr.dev>"
    timeout_seconds: float = 10.0


class SmtpMailSender:
    def __init__(self, config: SmtpConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock

    async def send(self, mail: OutgoingMail) -> None:
        message = build_message(mail, sender=self._config.sender, sent_at=self._clock.now())
        await asyncio.to_thread(self._deliver, message)

    def _deliver(self, message: EmailMessage) -> None:
        config = self._config
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.username:
                smtp.login(config.username, config.password or "")
            smtp.send_message(message)
