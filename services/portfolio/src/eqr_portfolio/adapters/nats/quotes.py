"""What live valuation follows on JetStream: market-data's quotes, and the portfolio events
that make a cached book stale.

Both consumers only update this process's memory, so each message is acked at once and the
work happens on ``LiveValuation``'s ticks. For the same reason each process has its own pair of
consumers (``instance``): every replica must see every quote and every ledger change, or its
cached books and prices go stale. Alerts cannot fire twice for it (see ``app.live``). A stream
that is not there yet (market data starting after us) or a lost connection is retried with
backoff, never fatal.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import UTC
from decimal import Decimal
from uuid import UUID

from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from eqr.market_data.v1 import events_pb2 as market_events
from eqr_platform.bus import ConsumerSpec, consume_until_stopped
from eqr_portfolio.app.live import LiveValuation
from eqr_portfolio.domain.alerts import QuoteObservation

log = logging.getLogger("eqr.portfolio.feeds")

QUOTES_CONSUMER = ConsumerSpec(
    stream="MARKET_DATA_QUOTES",
    durable="portfolio--revalue-on-quote",
    filter_subject="eqr.market-data.quote.updated.>",
    deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
)
PORTFOLIO_CONSUMER = ConsumerSpec(
    stream="PORTFOLIO",
    durable="portfolio--live-books",
    filter_subject="eqr.portfolio.>",
    deliver_policy=DeliverPolicy.NEW,
)
"""New events only: whenever the consumer is created (at start, or again after the server dropped
it) the books are read again from the database (``LiveValuation.ledger_events_missed``)."""


def quote_from_event(data: bytes) -> QuoteObservation | None:
    """The quote of a ``QuoteUpdated``, or None when it is not one alerts and values can use.

    Prices are float64 on market data's wire; ``Decimal(str(x))`` is the shortest decimal that
    round-trips, i.e. the price as quoted.
    """
    try:
        quote = market_events.QuoteUpdated.FromString(data).quote
    except DecodeError:
        return None
    if not (quote.symbol and quote.HasField("timestamp")):
        return None
    if not (math.isfinite(quote.price) and math.isfinite(quote.previous_close)):
        return None
    if quote.price <= 0 or quote.previous_close < 0:
        return None
    return QuoteObservation(
        quote.symbol,
        Decimal(str(quote.price)),
        Decimal(str(quote.previous_close)),
        quote.timestamp.ToDatetime(tzinfo=UTC),
    )


def portfolio_event_handler(live: LiveValuation) -> Callable[[Msg], Awaitable[None]]:
    """Ledger changes make the book stale; a deletion drops it. Other portfolio events pass by."""

    async def handle(message: Msg) -> None:
        match message.subject.split("."):
            case ["eqr", "portfolio", "ledger", "changed", portfolio_id]:
                if (parsed := _uuid(portfolio_id)) is not None:
                    live.ledger_changed(parsed)
            case ["eqr", "portfolio", "portfolio", "deleted", portfolio_id]:
                if (parsed := _uuid(portfolio_id)) is not None:
                    live.portfolio_deleted(parsed)

    return handle


def quote_handler(live: LiveValuation) -> Callable[[Msg], Awaitable[None]]:
    async def handle(message: Msg) -> None:
        quote = quote_from_event(message.data)
        if quote is None:
            log.warning("ignoring an unusable quote event", extra={"subject": message.subject})
            return
        live.quote_received(quote)

    return handle


async def follow_quotes(
    js: JetStreamContext, live: LiveValuation, instance: str, stop: asyncio.Event
) -> None:
    spec = QUOTES_CONSUMER.for_instance(instance)
    await consume_until_stopped(js, spec, quote_handler(live), stop=stop)


async def follow_portfolio_events(
    js: JetStreamContext, live: LiveValuation, instance: str, stop: asyncio.Event
) -> None:
    spec = PORTFOLIO_CONSUMER.for_instance(instance)
    handle = portfolio_event_handler(live)
    await consume_until_stopped(js, spec, handle, stop=stop, on_subscribed=live.ledger_events_missed)


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
