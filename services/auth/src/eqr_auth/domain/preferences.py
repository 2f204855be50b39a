"""Dashboard preferences of one user, validated field by field.

An update names the fields it replaces; an empty string resets a field to its default,
as proto3 cannot tell an empty value from an absent one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from eqr_auth.domain.currencies import CIRCULATING_CURRENCIES
from eqr_auth.domain.errors import FieldViolation, ValidationFailed, ViolationCollector

MAX_LAYOUT_BYTES = 64 * 1024
MAX_WATCHLIST_SYMBOLS = 200
MAX_SYMBOL_LENGTH = 32

_SYMBOL = re.compile(r"\^?[A-Z0-9][A-Z0-9.:=/^-]*")
_LOCALE = re.compile(
    r"(?P<language>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)"
)


class Theme(StrEnum):
    LIGHT = "light"
    DARK = "dark"
    SYSTEM = "system"


@dataclass(frozen=True)
class Preferences:
    theme: Theme
    timezone: str
    currency: str
    locale: str
    watchlist: tuple[str, ...]
    dashboard_layout_json: str


DEFAULT_PREFERENCES = Preferences(
    theme=Theme.SYSTEM,
    timezone="UTC",
    currency="USD",
    locale="en-US",
    watchlist=(),
    dashboard_layout_json="{}",
)
PREFERENCE_FIELDS = ("theme", "timezone", "currency", "locale", "watchlist", "dashboard_layout_json")


@dataclass(frozen=True)
class PreferencesDraft:
    """Preferences as the caller sent them, not yet validated."""

    theme: str = ""
    timezone: str = ""
    currency: str = ""
    locale: str = ""
    watchlist: Sequence[str] = ()
    dashboard_layout_json: str = ""


def apply_preferences(
    current: Preferences, draft: PreferencesDraft, fields: Collection[str], *, time_zones: Collection[str]
) -> Preferences:
    """``current`` with the named fields (all when none are named) replaced from ``draft``."""
    unknown = sorted(set(fields) - set(PREFERENCE_FIELDS))
    if unknown:
        raise ValidationFailed.single("update_mask", f"unknown fields: {', '.join(unknown)}")
    validators: dict[str, Callable[[], object]] = {
        "theme": lambda: parse_theme(draft.theme),
        "timezone": lambda: parse_timezone(draft.timezone, time_zones),
        "currency": lambda: parse_currency(draft.currency),
        "locale": lambda: parse_locale(draft.locale),
        "watchlist": lambda: parse_watchlist(draft.watchlist),
        "dashboard_layout_json": lambda: parse_layout(draft.dashboard_layout_json),
    }
    collector = ViolationCollector()
    changes = {
        name: collector.apply(validators[name], getattr(current, name))
        for name in PREFERENCE_FIELDS
        if not fields or name in fields
    }
    collector.raise_if_any()
    return replace(current, **changes)


def changed_fields(before: Preferences, after: Preferences) -> tuple[str, ...]:
    return tuple(name for name in PREFERENCE_FIELDS if getattr(before, name) != getattr(after, name))


def parse_theme(raw: str) -> Theme:
    value = raw.strip().lower()
    if not value:
        return DEFAULT_PREFERENCES.theme
    try:
        return Theme(value)
    except ValueError:
        raise ValidationFailed.single("theme", "must be one of light, dark, system") from None


def parse_timezone(raw: str, time_zones: Collection[str]) -> str:
    value = raw.strip()
    if not value:
        return DEFAULT_PREFERENCES.timezone
    if value not in time_zones:
        raise ValidationFailed.single("timezone", "must be an IANA time zone such as Europe/London")
    return value


def parse_currency(raw: str) -> str:
    value = raw.strip().upper()
    if not value:
        return DEFAULT_PREFERENCES.currency
    if value not in CIRCULATING_CURRENCIES:
        raise ValidationFailed.single("currency", "must be an ISO 4217 currency code such as USD")
    return value


def parse_locale(raw: str) -> str:
    """A BCP 47 language tag (language, script, region, variants) in canonical case."""
    value = raw.strip().replace("_", "-")
    if not value:
        return DEFAULT_PREFERENCES.locale
    match = _LOCALE.fullmatch(value.lower()) if len(value) <= 35 else None
    if match is None:
        raise ValidationFailed.single("locale", "must be a BCP 47 language tag such as en-US")
    parts = [match["language"]]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    return "-".join(parts) + match["variants"]


def parse_watchlist(raw: Sequence[str]) -> tuple[str, ...]:
    symbols: dict[str, None] = {}
    bad: list[str] = []
    for entry in raw:
        symbol = entry.strip().upper()
        if len(symbol) > MAX_SYMBOL_LENGTH or not _SYMBOL.fullmatch(symbol):
            bad.append(entry)
        else:
            symbols[symbol] = None
    violations: list[FieldViolation] = []
    if bad:
        shown = ", ".join(repr(entry[:MAX_SYMBOL_LENGTH]) for entry in bad[:5])
        violations.append(FieldViolation("watchlist", f"not ticker symbols: {shown}"))
    if len(symbols) > MAX_WATCHLIST_SYMBOLS:
        violations.append(FieldViolation("watchlist", f"must hold at most {MAX_WATCHLIST_SYMBOLS} symbols"))
    if violations:
        raise ValidationFailed(*violations)
    return tuple(symbols)


def parse_layout(raw: str) -> str:
    """A JSON object of at most 64 KiB, kept exactly as sent."""
    if not raw.strip():
        return DEFAULT_PREFERENCES.dashboard_layout_json
    if len(raw.encode()) > MAX_LAYOUT_BYTES:
        raise ValidationFailed.single("dashboard_layout_json", "must be at most 64 KiB")
    try:
        document: Any = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ValidationFailed.single("dashboard_layout_json", "must be valid JSON") from None
    if not isinstance(document, dict):
        raise ValidationFailed.single("dashboard_layout_json", "must be a JSON object")
    return raw


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
