"""The fan-out on a real NATS server: one subscription per subject, however many sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import nats
import pytest

from eqr_gateway.ws.fanout import Fanout

pytestmark = pytest.mark.infra


class _Socket:
    def __init__(self) -> None:
        self.frames: list[tuple[str, str]] = []

    def deliver(self, key: str, frame: str) -> None:
        self.frames.append((key, frame))


def _render(payload: bytes) -> tuple[str, str]:
    return "K", payload.decode()


async def _settled(condition: Callable[[], object]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)


async def test_sockets_share_one_subscription_per_subject(nats_url: str) -> None:
    fanout = Fanout(nats_url)
    fanout.start()
    publisher = await nats.connect(nats_url)
    first, second = _Socket(), _Socket()
    try:
        await _settled(lambda: fanout._client is not None)
        await fanout.join("eqr.test.fanout.A", _render, first)
        await fanout.join("eqr.test.fanout.A", _render, second)
        assert fanout._client is not None
        assert len(fanout._client._subs) == 1
        await fanout._client.flush()
        await publisher.publish("eqr.test.fanout.A", b"tick-1")
        await _settled(lambda: first.frames and second.frames)
        assert first.frames == second.frames == [("K", "tick-1")]

        await fanout.leave("eqr.test.fanout.A", first)
        await publisher.publish("eqr.test.fanout.A", b"tick-2")
        await _settled(lambda: len(second.frames) == 2)
        assert len(first.frames) == 1
        await fanout.leave("eqr.test.fanout.A", second)
        assert fanout._client._subs == {}
    finally:
        await publisher.close()
        await fanout.close()
