"""The gateway's JetStream consumers of the auth service's events, kept running across outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from nats.aio.msg import Msg

from eqr_platform import bus

log = logging.getLogger("eqr.gateway.auth_events")

_RETRY_MAX_SECONDS = 30.0


@dataclass(frozen=True)
class Feed:
    consumer: bus.ConsumerSpec
    handle: Callable[[Msg], Awaitable[None]]


async def follow_auth_events(
    nats_url: str, feeds: Sequence[Feed], stop: asyncio.Event, *, name: str = "auth"
) -> None:
    """Consume every feed until ``stop``; reconnects with backoff while NATS or a stream is missing.

    ``name`` says whose events they are in the logs (the market-data ones use this loop too).

    Handlers ack after they return, so whatever a crash or a cancellation interrupts is redelivered.
    """
    delay = 0.5
    while not stop.is_set():
        client = None
        try:
            client, js = await bus.connect(nats_url, name="gateway")
            delay = 0.5
            async with asyncio.TaskGroup() as consumers:
                for feed in feeds:
                    consumers.create_task(bus.consume(js, feed.consumer, feed.handle, stop=stop))
        except Exception as exc:
            log.warning(f"{name} event feed interrupted; retrying", extra={"error": repr(exc)})
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                delay = min(delay * 2, _RETRY_MAX_SECONDS)
        finally:
            if client is not None and not client.is_closed:
                await client.close()
