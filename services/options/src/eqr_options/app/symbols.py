"""Ticker symbols as the options service accepts them, and listed contracts' OCC symbols."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from eqr_options.domain.errors import ValidationFailed

_SYMBOL: Final = re.compile(r"[A-Z0-9][A-Z0-9.\-^=]{0,14}")
"""As market-data spells the underlyings it knows (1-15 characters)."""


def normalise_symbol(symbol: str, field: str = "symbol") -> str:
    """Upper-cased and trimmed; INVALID_ARGUMENT for anything that cannot be a ticker."""
    cleaned = symbol.strip()
    if not cleaned:
        raise ValidationFailed.single(field, "is required")
    # ASCII first: str.upper() maps some non-ASCII letters to ASCII ones ("ﬀ" -> "FF").
    if not (cleaned.isascii() and _SYMBOL.fullmatch(cleaned.upper())):
        raise ValidationFailed.single(field, "must be a ticker symbol (letters, digits, '.', '-', '^', '=')")
    return cleaned.upper()


def occ_symbol(root: str, expiry: date, is_call: bool, strike: float) -> str:
    """The OCC's padded form: root on six characters, YYMMDD, C or P, strike in thousandths on eight
    digits, e.g. ``AAPL  261218C00190000``."""
    return f"{root:<6}{expiry:%y%m%d}{'C' if is_call else 'P'}{round(strike * 1000):08d}"
