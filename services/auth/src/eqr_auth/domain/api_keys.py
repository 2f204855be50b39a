"""API keys: long-lived credentials for scripts, exchanged for short-lived access tokens.

A key reads ``eqr_<public id>_<secret>``: the 8-character public id finds the stored
key, the 43-character url-safe secret proves possession. Only the SHA-256 of the whole
key is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from eqr_auth.domain.errors import PermissionDenied, ValidationFailed
from eqr_auth.domain.roles import Permission, sorted_scopes

KEY_TAG = "eqr"
PUBLIC_ID_LENGTH = 8
PUBLIC_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
SECRET_BYTES = 32
MAX_NAME_LENGTH = 100

_KEY_SHAPE = re.compile(rf"{KEY_TAG}_([a-z0-9]{{{PUBLIC_ID_LENGTH}}})_[A-Za-z0-9_-]{{43}}")


@dataclass(frozen=True)
class ApiKey:
    id: str
    user_id: str
    name: str
    public_id: str
    secret_hash: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def display_prefix(self) -> str:
        return f"{KEY_TAG}_{self.public_id}"

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


def format_api_key(public_id: str, secret: str) -> str:
    return f"{KEY_TAG}_{public_id}_{secret}"


def public_id_of(raw_key: str) -> str | None:
    """The public id of a well-formed key, or None when the text is not a key at all."""
    match = _KEY_SHAPE.fullmatch(raw_key.strip())
    return match.group(1) if match else None


def normalise_key_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise ValidationFailed.single("name", "is required")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed.single("name", f"must be at most {MAX_NAME_LENGTH} characters")
    return name


def grantable_scopes(requested: Iterable[str], held: Iterable[str]) -> tuple[str, ...]:
    """The requested scopes, checked to be real permissions the creator holds."""
    scopes = sorted_scopes(scope.strip() for scope in requested)
    if not scopes:
        raise ValidationFailed.single("scopes", "at least one scope is required")
    known = {permission.value for permission in Permission}
    unknown = [scope for scope in scopes if scope not in known]
    if unknown:
        raise ValidationFailed.single("scopes", f"unknown scopes: {', '.join(unknown)}")
    missing = set(scopes) - set(held)
    if missing:
        raise PermissionDenied(f"you cannot grant scopes you do not hold: {', '.join(sorted(missing))}")
    return scopes
