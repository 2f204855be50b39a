"""Ticker symbols as the service spells them: upper-case, 1..15 of ``A-Z 0-9 . ^ = -``."""

from __future__ import annotations

import re
from collections.abc import Iterable

from eqr_market_data.domain.errors import InvalidRequest

MAX_SYMBOL_LENGTH = 15
DEFAULT_BATCH_LIMIT = 100

_SYMBOL = re.compile(rf"[A-Z0-9^][A-Z0-9.^=-]{{0,{MAX_SYMBOL_LENGTH - 1}}}")
_RULE = "must be 1-15 characters of A-Z, 0-9, '.', '^', '=', '-', starting with a letter, digit or '^'"


def normalise_symbol(raw: str, field: str = "symbol") -> str:
    """``raw`` stripped of surrounding spaces and upper-cased, or ``InvalidRequest`` naming ``field``.

    The offending input is never echoed back: it may be arbitrarily long or hostile.
    """
    candidate = raw.strip(" ")
    # ASCII first: str.upper() maps some non-ASCII letters to ASCII ones ("ﬀ" -> "FF").
    if not (candidate.isascii() and _SYMBOL.fullmatch(candidate.upper())):
        raise InvalidRequest(field, _RULE)
    return candidate.upper()


def normalise_symbols(
    raw_list: Iterable[str], field: str = "symbols", limit: int = DEFAULT_BATCH_LIMIT
) -> list[str]:
    """Each symbol normalised, duplicates dropped (first occurrence wins), at most ``limit`` of them."""
    distinct: dict[str, None] = {}
    for position, raw in enumerate(raw_list, start=1):
        try:
            symbol = normalise_symbol(raw, field)
        except InvalidRequest as error:
            raise InvalidRequest(field, f"item {position} {error.message}") from None
        distinct[symbol] = None
        if len(distinct) > limit:
            raise InvalidRequest(field, f"at most {limit} distinct symbols per request")
    if not distinct:
        raise InvalidRequest(field, "at least one symbol is required")
    return list(distinct)
