"""Delivers mail into a directory of .eml files: development without an SMTP server.

Each mail is written to a temporary name and renamed into place, so a reader watching
the directory never sees half a message.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import uuid
from datetime import UTC
from pathlib import Path

from eqr_auth.adapters.mail.message import build_message
from eqr_auth.app.ports import Clock, OutgoingMail

logger = logging.getLogger(__name__)


class FileMailbox:
    def __init__(
        self, directory: Path, clock: Clock, *, sender: str = "Equity Research <no-reply@eqr.dev>"
    ) -> None:
        self._directory = directory
        self._clock = clock
        self._sender = sender

    async def send(self, mail: OutgoingMail) -> None:
        sent_at = self._clock.now()
        message = build_message(mail, sender=self._sender, sent_at=sent_at)
        name = f"{sent_at.astimezone(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4()}.eml"
        path = await asyncio.to_thread(self._write, name, message.as_bytes())
        logger.info("mail %r written to %s", mail.subject, path)

    def _write(self, name: str, content: bytes) -> Path:
        self._directory.mkdir(parents=True, exist_ok=True)
        target = self._directory / name
        descriptor, temporary = tempfile.mkstemp(dir=self._directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temporary).replace(target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target
