"""The real clock and the operating system's CSPRNG."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SystemSecrets:
    def token(self, nbytes: int) -> str:
        return secrets.token_urlsafe(nbytes)

    def identifier(self) -> str:
        return str(uuid.uuid4())

    def choice_string(self, alphabet: str, length: int) -> str:
        return "".join(secrets.choice(alphabet) for _ in range(length))
