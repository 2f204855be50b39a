"""Strict readers of decoded JSON: every unexpected shape becomes ``MalformedPayload``.

Providers send numbers as JSON numbers or as strings ("182.6100"), and mark absent figures
with ``null``, ``"None"``, ``""`` or ``"-"``; these helpers accept exactly that and nothing else.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from eqr_market_data.app.ports import SourceError
from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.symbols import normalise_symbol

_ABSENT = frozenset({"", "None", "none", "null", "-", "N/A"})


class MalformedPayload(SourceError):
    """The provider answered, but not in the documented shape."""


def obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedPayload(f"{what} is not an object")
    return value


def arr(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedPayload(f"{what} is not a list")
    return value


def field(container: dict[str, Any], key: str, what: str) -> Any:
    if key not in container:
        raise MalformedPayload(f"{what} has no {key!r}")
    return container[key]


def text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise MalformedPayload(f"{what} is not a string")
    return value


def optional_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) and value.strip() not in _ABSENT else ""


def number(value: Any, what: str) -> float:
    """A finite float from a JSON number or a numeric string (a trailing ``%`` allowed)."""
    if isinstance(value, bool):
        raise MalformedPayload(f"{what} is not a number")
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip().removesuffix("%"))
        except ValueError:
            raise MalformedPayload(f"{what} is not a number") from None
    else:
        raise MalformedPayload(f"{what} is not a number")
    if not math.isfinite(result):
        raise MalformedPayload(f"{what} is not finite")
    return result


def optional_number(value: Any, what: str) -> float:
    """Like ``number``, but the provider's markers of an absent figure give NaN."""
    if value is None or (isinstance(value, str) and value.strip() in _ABSENT):
        return math.nan
    return number(value, what)


def whole(value: Any, what: str) -> int:
    """A non-negative count (volumes), rounded: some providers send ``83154367.0``."""
    result = number(value, what)
    if result < 0:
        raise MalformedPayload(f"{what} is negative")
    return round(result)


def iso_date(value: Any, what: str) -> date:
    try:
        return date.fromisoformat(text(value, what)[:10])
    except ValueError:
        raise MalformedPayload(f"{what} is not a YYYY-MM-DD date") from None


def local_datetime(value: Any, fmt: str, zone: tzinfo, what: str) -> datetime:
    """A wall-clock time in ``fmt`` at ``zone``, as UTC."""
    try:
        naive = datetime.strptime(text(value, what), fmt)
    except ValueError:
        raise MalformedPayload(f"{what} does not match {fmt}") from None
    return naive.replace(tzinfo=zone).astimezone(UTC)


def epoch_seconds(value: Any, what: str) -> datetime:
    seconds = number(value, what)
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedPayload(f"{what} is not a plausible Unix time") from None


def known_symbol(raw: Any) -> str | None:
    """A symbol a provider returned, normalised, or None when it is not one the service accepts
    (e.g. ``CRYPTO:BTC`` in a news item)."""
    if not isinstance(raw, str):
        return None
    try:
        return normalise_symbol(raw)
    except InvalidRequest:
        return None


def at_midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
