"""One NATS subscription per subject per gateway process, shared by every socket that wants it.

A subject is subscribed when its first listener joins and unsubscribed when its last one
leaves. Each message is decoded and rendered to its frame once, then posted to every
listener; posting never waits, so one socket cannot slow the others.

These are core NATS subscriptions, not JetStream consumers: live values need no replay
(a subscription starts from a snapshot) and every gateway process receives every message,
so side-by-side gateways each serve their own sockets. The client reconnects by itself and
resubscribes what it held; until the first connection, joins are remembered and subscribed
once it is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

log = logging.getLogger("eqr.gateway.ws.fanout")

Render = Callable[[bytes], tuple[str, str] | None]
"""A message's payload -> (key, frame), or None for one to skip (undecodable)."""

_RETRY_MAX_SECONDS = 10.0


class Listener(Protocol):
    def deliver(self, key: str, frame: str) -> None: ...


class _Topic:
    def __init__(self, render: Render) -> None:
        self.render = render
        self.listeners: set[Listener] = set()
        self.subscription: Subscription | None = None

    async def on_message(self, message: Msg) -> None:
        try:
            rendered = self.render(message.data)
        except Exception:
            log.exception(
                "dropping a live event that could not be rendered", extra={"subject": message.subject}
            )
            return
        if rendered is None:
            return
        key, frame = rendered
        for listener in tuple(self.listeners):
            listener.deliver(key, frame)


class Fanout:
    def __init__(self, nats_url: str) -> None:
        self._url = nats_url
        self._client: Client | None = None
        self._topics: dict[str, _Topic] = {}
        self._follows: dict[str, Callable[[Msg], Awaitable[None]]] = {}
        self._connecting: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._connecting = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        delay = 0.25
        while True:
            try:
                client = await nats.connect(self._url, name="gateway-ws", max_reconnect_attempts=-1)
            except Exception as exc:
                log.warning("live events: NATS unreachable; retrying", extra={"error": repr(exc)})
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX_SECONDS)
                continue
            self._client = client
            # Snapshots: joins and leaves go on meanwhile, and from now on subscribe for themselves.
            for subject, callback in list(self._follows.items()):
                await client.subscribe(subject, cb=callback)
            for subject, topic in list(self._topics.items()):
                if topic.subscription is None and self._topics.get(subject) is topic:
                    await self._subscribe(subject, topic)
            return

    async def follow(self, subject: str, handle: Callable[[bytes], None]) -> None:
        """Call ``handle`` with every payload on ``subject`` (wildcards allowed) while running."""

        async def callback(message: Msg) -> None:
            try:
                handle(message.data)
            except Exception:
                log.exception("a live event handler failed", extra={"subject": message.subject})

        self._follows[subject] = callback
        if self._client is not None:
            await self._client.subscribe(subject, cb=callback)

    async def join(self, subject: str, render: Render, listener: Listener) -> None:
        topic = self._topics.get(subject)
        if topic is None:
            topic = self._topics[subject] = _Topic(render)
            topic.listeners.add(listener)
            if self._client is not None:
                await self._subscribe(subject, topic)
            return
        topic.listeners.add(listener)

    async def _subscribe(self, subject: str, topic: _Topic) -> None:
        assert self._client is not None
        subscription = await self._client.subscribe(subject, cb=topic.on_message)
        if self._topics.get(subject) is topic:
            topic.subscription = subscription
        else:  # everyone left while it was being made
            await subscription.unsubscribe()

    async def leave(self, subject: str, listener: Listener) -> None:
        topic = self._topics.get(subject)
        if topic is None:
            return
        topic.listeners.discard(listener)
        if not topic.listeners:
            del self._topics[subject]
            if topic.subscription is not None:
                with contextlib.suppress(Exception):
                    await topic.subscription.unsubscribe()

    async def close(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self._client is not None and not self._client.is_closed:
            await self._client.close()
