"""A socket's outgoing frames: bounded, and coalescing so a slow reader gets the latest values.

Frames are posted under a key: a quote under its symbol, a portfolio's value under its id, an
acknowledgement or an alert under a key of its own. A frame posted while an earlier one of
the same key is still waiting replaces it in place, so a reader that falls behind skips to
the current value instead of working through a backlog, and the number of waiting frames is
bounded by what the socket subscribed to. Posting never waits: the fan-out that posts to
every socket is never held up by one of them.
"""

from __future__ import annotations

import asyncio


class MailboxFull(Exception):
    """More distinct keys waiting than the mailbox holds: the reader is not reading."""


class Mailbox:
    __slots__ = ("_capacity", "_ready", "_waiting")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._waiting: dict[str, str] = {}
        self._ready = asyncio.Event()

    def post(self, key: str, frame: str) -> None:
        if key not in self._waiting and len(self._waiting) >= self._capacity:
            raise MailboxFull
        self._waiting[key] = frame
        self._ready.set()

    async def take(self) -> list[str]:
        """Every waiting frame, oldest key first; waits for one when there are none."""
        await self._ready.wait()
        return self.drain()

    def drain(self) -> list[str]:
        """Every waiting frame, oldest key first, without waiting."""
        frames = list(self._waiting.values())
        self._waiting.clear()
        self._ready.clear()
        return frames
