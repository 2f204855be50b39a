"""Quote events become exact observations, unusable ones are dropped, and alert states survive JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr.market_data.v1 import events_pb2, resources_pb2
from eqr_platform.protobuf import timestamp_pb
from eqr_portfolio.adapters.db.alerts import state_from_json, state_to_json
from eqr_portfolio.adapters.nats.quotes import quote_from_event
from eqr_portfolio.domain.alerts import AlertState, QuoteObservation

AT = datetime(2025, 3, 3, 15, 30, 1, 250_000, tzinfo=UTC)


def event(**fields: Any) -> bytes:
    quote = resources_pb2.Quote(
        **{
            "symbol": "BRK.B",
            "price": 187.23,
            "previous_close": 185.1,
            "timestamp": timestamp_pb(AT),
            **fields,
        }
    )
    return events_pb2.QuoteUpdated(quote=quote).SerializeToString()


def test_a_quote_is_read_at_the_price_as_quoted() -> None:
    assert quote_from_event(event()) == QuoteObservation("BRK.B", Decimal("187.23"), Decimal("185.1"), AT)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xff not protobuf",
        event(symbol=""),
        event(price=float("nan")),
        event(previous_close=float("inf")),
        event(price=0.0),
        event(previous_close=-1.0),
        events_pb2.QuoteUpdated(quote=resources_pb2.Quote(symbol="AAPL", price=1.0)).SerializeToString(),
    ],
    ids=[
        "garbage",
        "no-symbol",
        "nan-price",
        "infinite-close",
        "zero-price",
        "negative-close",
        "no-timestamp",
    ],
)
def test_unusable_quotes_are_dropped(data: bytes) -> None:
    assert quote_from_event(data) is None


@given(
    st.booleans(),
    st.none() | st.decimals(min_value=0, max_value=10**12, places=10, allow_nan=False, allow_infinity=False),
)
def test_an_alert_state_survives_a_json_round_trip_exactly(armed: bool, close: Decimal | None) -> None:
    state = AlertState(armed, close)
    stored = json.loads(json.dumps(state_to_json(state)))

    restored = state_from_json(stored)

    assert restored == state
    assert str(restored.fired_against_close) == str(close)
