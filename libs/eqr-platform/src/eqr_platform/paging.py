"""Cursor pagination's mechanics: opaque page tokens (a keyset position encoded so callers
cannot build or edit one) and the page size. Pure standard library, like ``validation``, so
the services' use cases may import it."""

from __future__ import annotations

import base64
import binascii
import json

from eqr_platform.validation import ValidationFailed

_BAD_TOKEN = "is not a token from a previous page"


def encode_page_token(*position: str | int) -> str:
    """The token of a keyset position (e.g. the last row's sort key and id)."""
    payload = json.dumps(position, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_page_token(token: str, arity: int) -> list[str | int]:
    """The position of a token, which must have ``arity`` parts; a 422 on ``page_token`` else."""
    try:
        position = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise ValidationFailed.single("page_token", _BAD_TOKEN) from None
    if not isinstance(position, list) or len(position) != arity:
        raise ValidationFailed.single("page_token", _BAD_TOKEN)
    if not all(isinstance(part, str | int) for part in position):
        raise ValidationFailed.single("page_token", _BAD_TOKEN)
    return position


def page_limit(page_size: int, *, default: int, maximum: int) -> int:
    """Rows of one page: ``default`` for 0, at most ``maximum``; negative is a 422 on ``page_size``."""
    if page_size < 0:
        raise ValidationFailed.single("page_size", "must not be negative")
    return min(page_size or default, maximum)
