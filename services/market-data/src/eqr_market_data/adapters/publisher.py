"""Quotes and market snapshots onto JetStream, last value per subject.

Quotes are market data, not business facts: they are published directly rather than
through the outbox. A lost tick is superseded by the next one, and the stream keeps only
the latest message per subject, so a late subscriber still starts from the current price.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from nats.js import JetStreamContext

from eqr.market_data.v1 import events_pb2
from eqr_market_data.domain.market import MarketSnapshot
from eqr_market_data.domain.model import Quote
from eqr_market_data.wire import breadth_to_pb, mover_to_pb, quote_to_pb
from eqr_platform.bus import StreamSpec, publish
from eqr_platform.protobuf import timestamp_pb

QUOTES_STREAM = StreamSpec(
    "MARKET_DATA_QUOTES",
    ["eqr.market-data.quote.updated.>", "eqr.market-data.market.updated"],
    max_msgs_per_subject=1,
    max_age_seconds=7 * 86_400,
)
EVENTS_STREAM = StreamSpec("MARKET_DATA", ["eqr.market-data.bars.>"], max_age_seconds=90 * 86_400)
MARKET_SUBJECT = "eqr.market-data.market.updated"


def quote_subject(symbol: str) -> str:
    # NATS tokens cannot contain "." or spaces; "BRK.B" travels as "BRK_B", "^GSPC" as-is.
    return f"eqr.market-data.quote.updated.{symbol.replace('.', '_')}"


class JetStreamQuotePublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish_quotes(self, quotes: Sequence[Quote]) -> None:
        await asyncio.gather(
            *(
                publish(
                    self._js,
                    quote_subject(quote.symbol),
                    events_pb2.QuoteUpdated(quote=quote_to_pb(quote)).SerializeToString(),
                    msg_id=f"{quote.symbol}@{quote.timestamp.isoformat()}",
                )
                for quote in quotes
            )
        )

    async def publish_market(self, snapshot: MarketSnapshot) -> None:
        message = events_pb2.MarketUpdated(
            indices=[mover_to_pb(i, q) for i, q in snapshot.indices],
            sectors=[mover_to_pb(i, q) for i, q in snapshot.sectors],
            gainers=[mover_to_pb(i, q) for i, q in snapshot.gainers],
            losers=[mover_to_pb(i, q) for i, q in snapshot.losers],
            most_active=[mover_to_pb(i, q) for i, q in snapshot.most_active],
            breadth=breadth_to_pb(snapshot.breadth),
            as_of=timestamp_pb(snapshot.as_of),
        )
        await publish(
            self._js,
            MARKET_SUBJECT,
            message.SerializeToString(),
            msg_id=f"market@{snapshot.as_of.isoformat()}",
        )
