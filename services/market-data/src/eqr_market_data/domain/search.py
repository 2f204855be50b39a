"""Ranking instruments for a search box query.

Tiers, best first: the exact symbol (punctuation aside: ``brkb`` finds ``BRK.B``), a symbol
prefix, a name word prefix, a name substring, then a fuzzy match (difflib's similarity
ratio against the symbol, the name and each word of the name, at least ``FUZZY_THRESHOLD``;
queries of three characters or more). Within a tier, fuzzy matches go by similarity, then
everything by market capitalisation (given by the caller) and symbol.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher
from enum import IntEnum

from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import Instrument

MAX_QUERY_LENGTH = 64
FUZZY_THRESHOLD = 0.75
FUZZY_MIN_QUERY_LENGTH = 3

_PUNCTUATION = re.compile(r"[^0-9a-z]+")


class Tier(IntEnum):
    EXACT_SYMBOL = 0
    SYMBOL_PREFIX = 1
    NAME_WORD_PREFIX = 2
    NAME_SUBSTRING = 3
    FUZZY = 4


def normalise_query(raw: str) -> str:
    query = " ".join(raw.split()).casefold()
    if not query:
        raise InvalidRequest("query", "must not be empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidRequest("query", f"must be at most {MAX_QUERY_LENGTH} characters")
    return query


def rank_instruments(
    instruments: Iterable[Instrument],
    query: str,
    *,
    limit: int = 20,
    market_caps: Mapping[str, float] | None = None,
) -> list[Instrument]:
    """The instruments matching ``query``, best first, at most ``limit`` of them.

    ``market_caps``: symbol -> shares outstanding x last price (missing symbols count as 0).
    """
    wanted = normalise_query(query)
    caps = market_caps or {}
    ranked = []
    for instrument in instruments:
        match = _match(wanted, instrument)
        if match is not None:
            tier, similarity = match
            ranked.append(
                ((tier, -similarity, -caps.get(instrument.symbol, 0.0), instrument.symbol), instrument)
            )
    ranked.sort(key=lambda entry: entry[0])
    return [instrument for _, instrument in ranked[: max(limit, 0)]]


def is_close_match(query: str, instrument: Instrument) -> bool:
    """Whether ``instrument`` matches ``query`` better than fuzzily (by symbol or by name)."""
    match = _match(normalise_query(query), instrument)
    return match is not None and match[0] < Tier.FUZZY


def _match(query: str, instrument: Instrument) -> tuple[Tier, float] | None:
    symbol = instrument.symbol.casefold()
    name = " ".join(instrument.name.split()).casefold()
    if symbol == query or _compact(symbol) == _compact(query) != "":
        return Tier.EXACT_SYMBOL, 0.0
    if symbol.startswith(query):
        return Tier.SYMBOL_PREFIX, 0.0
    if re.search(rf"(?:^|[^0-9a-z]){re.escape(query)}", name):
        return Tier.NAME_WORD_PREFIX, 0.0
    if query in name:
        return Tier.NAME_SUBSTRING, 0.0
    if len(query) < FUZZY_MIN_QUERY_LENGTH:
        return None
    candidates = [symbol, name, *name.split()]
    similarity = max(SequenceMatcher(None, query, candidate).ratio() for candidate in candidates)
    return (Tier.FUZZY, similarity) if similarity >= FUZZY_THRESHOLD else None


def _compact(text: str) -> str:
    return _PUNCTUATION.sub("", text)
