"""Live portfolio values onto JetStream, last value per portfolio.

A live value is derived and recomputed every tick, so it is published directly rather than
through the outbox: a lost one is superseded by the next. The message id names the portfolio
and the interval the value belongs to, so replicas valuing the same portfolio in the same
interval publish it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext

from eqr.portfolio.v1 import events_pb2
from eqr_platform.bus import StreamSpec, publish
from eqr_platform.protobuf import timestamp_pb
from eqr_portfolio.domain.book import Book
from eqr_portfolio.domain.transactions import Portfolio
from eqr_portfolio.domain.valuation import Quote, Valuation
from eqr_portfolio.wire.valuation import valuation_to_pb

VALUES_STREAM = StreamSpec(
    "PORTFOLIO_VALUES",
    ["eqr.portfolio.portfolio.updated.>"],
    max_msgs_per_subject=1,
    max_age_seconds=7 * 86_400,
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def value_subject(portfolio_id: object) -> str:
    return f"eqr.portfolio.portfolio.updated.{portfolio_id}"


class JetStreamValuationPublisher:
    def __init__(self, js: JetStreamContext, *, interval: timedelta) -> None:
        self._js = js
        self._interval = interval

    async def publish_valuation(
        self,
        portfolio: Portfolio,
        book: Book,
        valuation: Valuation,
        quotes: Mapping[str, Quote],
        valued_at: datetime,
    ) -> None:
        message = events_pb2.PortfolioValued(
            portfolio_id=str(portfolio.id),
            valuation=valuation_to_pb(
                portfolio, book, valuation, quotes, as_of=None, valued_at=valued_at, lots=False
            ),
            occurred_at=timestamp_pb(valued_at),
        )
        bucket = (valued_at - _EPOCH) // self._interval
        await publish(
            self._js,
            value_subject(portfolio.id),
            message.SerializeToString(),
            msg_id=f"{portfolio.id}:{bucket}",
        )
