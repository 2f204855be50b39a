"""Live quotes from NATS: one subscription per stream call, bounded, newest value wins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from nats.aio.client import Client
from nats.aio.msg import Msg

from eqr.market_data.v1 import events_pb2
from eqr_market_data.adapters.publisher import quote_subject
from eqr_market_data.domain.model import Quote
from eqr_market_data.wire import quote_from_pb


class NatsQuoteFeed:
    """A slow reader gets the latest quote per symbol, never an unbounded backlog."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def subscribe(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        latest: dict[str, Quote] = {}
        ready = asyncio.Event()

        async def on_message(message: Msg) -> None:
            quote = quote_from_pb(events_pb2.QuoteUpdated.FromString(message.data).quote)
            latest[quote.symbol] = quote
            ready.set()

        subscriptions = [await self._client.subscribe(quote_subject(s), cb=on_message) for s in symbols]
        try:
            while True:
                await ready.wait()
                ready.clear()
                pending = list(latest.values())
                latest.clear()
                for quote in pending:
                    yield quote
        finally:
            for subscription in subscriptions:
                await subscription.unsubscribe()
