"""The WebSocket's pure parts: request parsing and the coalescing mailbox."""

from __future__ import annotations

import json

import pytest

from eqr_gateway.ws.mailbox import Mailbox, MailboxFull
from eqr_gateway.ws.protocol import Authenticate, ProtocolError, Subscription, ack, parse


def _parse(message: object) -> object:
    return parse(json.dumps(message), max_keys=3)


def test_a_subscription_normalises_and_deduplicates_its_keys() -> None:
    request = _parse(
        {"type": "subscribe", "id": 7, "data": {"channel": "quotes", "symbols": [" aapl", "AAPL", "msft"]}}
    )
    assert request == Subscription("7", "subscribe", "quotes", ("AAPL", "MSFT"))
    assert _parse({"type": "auth", "data": {"token": "t"}}) == Authenticate(None, "t")
    market = _parse({"type": "subscribe", "data": {"channel": "market"}})
    assert isinstance(market, Subscription)
    assert market.keys == ("market",)


@pytest.mark.parametrize(
    ("message", "code", "field"),
    [
        ("{", "malformed_json", None),
        ([], "invalid_message", "$"),
        ({"type": "subscribe", "data": []}, "invalid_message", "data"),
        ({"type": "subscribe", "data": {"channel": "nope"}}, "invalid_message", "data.channel"),
        (
            {"type": "subscribe", "data": {"channel": "quotes", "symbols": []}},
            "invalid_message",
            "data.symbols",
        ),
        (
            {"type": "subscribe", "data": {"channel": "quotes", "symbols": ["A", None]}},
            "invalid_message",
            "data.symbols[1]",
        ),
        (
            {"type": "subscribe", "data": {"channel": "quotes", "symbols": ["A", "B", "C", "D"]}},
            "too_many_subscriptions",
            "data.symbols",
        ),
        (
            {"type": "subscribe", "data": {"channel": "quotes", "symbols": ["a b"]}},
            "invalid_message",
            "data.symbols[0]",
        ),
        (
            {"type": "subscribe", "data": {"channel": "portfolio", "portfolio_ids": ["1"]}},
            "invalid_message",
            "data.portfolio_ids[0]",
        ),
        ({"type": "auth", "data": {"token": 5}}, "invalid_message", "data.token"),
        ({"type": "auth", "id": "x" * 65}, "invalid_message", "id"),
        ({"type": "auth", "id": True}, "invalid_message", "id"),
        ({"type": "hello"}, "invalid_message", "type"),
    ],
)
def test_bad_requests_name_the_field(message: object, code: str, field: str | None) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse(message if isinstance(message, str) else json.dumps(message), max_keys=3)
    assert (refused.value.code, refused.value.field) == (code, field)


def test_a_refusal_repeats_the_request_id_when_it_could_be_read() -> None:
    with pytest.raises(ProtocolError) as refused:
        _parse({"type": "subscribe", "id": "r1", "data": {"channel": "x"}})
    assert refused.value.request_id == "r1"
    assert json.loads(ack("r1", request="auth")) == {"type": "ack", "data": {"id": "r1", "request": "auth"}}


async def test_the_mailbox_keeps_the_latest_frame_per_key_in_first_posted_order() -> None:
    mailbox = Mailbox(capacity=2)
    mailbox.post("AAPL", "a1")
    mailbox.post("MSFT", "m1")
    mailbox.post("AAPL", "a2")
    assert await mailbox.take() == ["a2", "m1"]
    mailbox.post("AAPL", "a3")
    mailbox.post("MSFT", "m2")
    with pytest.raises(MailboxFull):
        mailbox.post("JPM", "j1")
    assert mailbox.drain() == ["a3", "m2"]
    assert mailbox.drain() == []
