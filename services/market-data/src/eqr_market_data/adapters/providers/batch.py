"""Batch quotes from providers that answer one symbol per request."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from eqr_market_data.app.ports import NotFoundAtSource, SourceError
from eqr_market_data.domain.model import Quote
from eqr_market_data.domain.symbols import normalise_symbol

log = logging.getLogger(__name__)


async def quote_each(
    source: str, symbols: Sequence[str], fetch_one: Callable[[str], Awaitable[Quote]]
) -> list[Quote]:
    """Quotes of ``symbols`` (normalised, duplicates dropped), one request each, in order.

    Symbols the provider does not know are left out. When a request fails after some quotes
    were gathered, those are returned (the fallback chain asks the next source for the rest);
    when the first one fails, its error propagates.
    """
    wanted = list(dict.fromkeys(normalise_symbol(symbol, "symbols") for symbol in symbols))
    quotes: list[Quote] = []
    for symbol in wanted:
        try:
            quotes.append(await fetch_one(symbol))
        except NotFoundAtSource:
            continue
        except SourceError as error:
            if not quotes:
                raise
            log.warning(
                "partial batch quote",
                extra={"source": source, "served": len(quotes), "wanted": len(wanted), "error": str(error)},
            )
            break
    return quotes
