"""Events the store records in its outbox, as the subjects and protobuf messages of the MARKET_DATA stream."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from eqr.market_data.v1 import events_pb2
from eqr_market_data.domain.events import BarsImported

BARS_IMPORTED = "eqr.market-data.bars.imported"


def bars_imported_message(event: BarsImported) -> events_pb2.BarsImported:
    occurred_at = Timestamp()
    occurred_at.FromDatetime(event.occurred_at)
    return events_pb2.BarsImported(
        symbol=event.symbol, bars=event.bars, source=str(event.source), occurred_at=occurred_at
    )
