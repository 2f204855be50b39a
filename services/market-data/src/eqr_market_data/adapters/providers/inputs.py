"""Validation of what every provider adapter is asked, before anything is sent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import Interval


def intraday_code(interval: Interval, codes: Mapping[Interval, str], start: datetime, end: datetime) -> str:
    """The provider's name of ``interval``, once the interval is intraday and both ends are
    timezone-aware; ``InvalidRequest`` naming the field otherwise."""
    code = codes.get(interval)
    if code is None:
        raise InvalidRequest("interval", "must be an intraday interval (1m, 5m, 15m, 1h)")
    for moment, name in ((start, "start"), (end, "end")):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidRequest(name, "must be timezone-aware")
    return code


MAX_QUERY_LENGTH = 100


def search_text(query: str) -> str:
    """``query`` stripped; ``InvalidRequest`` when it is too long to be a name or symbol."""
    text = query.strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidRequest("query", f"must be at most {MAX_QUERY_LENGTH} characters")
    return text
