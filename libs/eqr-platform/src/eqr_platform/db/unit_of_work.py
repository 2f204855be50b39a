"""One business transaction: repositories on one session, events into the outbox, one commit."""

from __future__ import annotations

import uuid
from types import TracebackType
from typing import Any, Self

from google.protobuf.message import Message
from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eqr_platform.bus import trace_headers
from eqr_platform.db.outbox import notification_channel


class UnitOfWork:
    """Subclass per service and build its repositories in ``_open``.

    Only ``commit`` commits; leaving the block without it rolls everything back,
    events included, so a failed use case leaves no partial write and no stray event.
    """

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession], outbox: Table) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._events: list[dict[str, Any]] = []
        self._committed = False

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._events = []
        self._committed = False
        await self.session.begin()
        self._open()
        return self

    def _open(self) -> None:
        """Create the repositories on ``self.session``."""

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    def publish(self, subject: str, event: Message, *, msg_id: str | None = None) -> None:
        self._events.append(
            {
                "msg_id": uuid.UUID(msg_id) if msg_id else uuid.uuid4(),
                "subject": subject,
                "payload": event.SerializeToString(),
                "headers": trace_headers(),
            }
        )

    async def commit(self) -> None:
        if self._events:
            await self.session.execute(insert(self._outbox), self._events)
            # Delivered at commit, to the relay of every replica.
            await self.session.execute(select(func.pg_notify(notification_channel(self._outbox), "")))
            self._events = []
        await self.session.commit()
        self._committed = True
