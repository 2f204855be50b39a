"""Every live socket of this gateway process, and the events that reach them.

The hub maps a channel's keys to NATS subjects (shared through ``Fanout``) and handles the
events addressed to people rather than to subjects: an alert goes to its recipients'
sockets, a revoked share stops that user's stream of the portfolio, a deleted portfolio's
streams stop, and an ended session (logout, revocation) closes its sockets.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

from eqr_gateway.ws import events
from eqr_gateway.ws.fanout import Fanout, Listener, Render
from eqr_gateway.ws.protocol import Channel, CloseCode


class LiveSocket(Listener, Protocol):
    user_id: str
    session_id: str | None

    def lose_access(self, portfolio_id: str, code: str, message: str) -> None: ...

    def end(self, code: CloseCode, reason: str) -> None: ...


def _route(channel: Channel, key: str) -> tuple[str, Render]:
    match channel:
        case "quotes":
            return events.quote_subject(key), events.render_quote
        case "market":
            return events.MARKET_SUBJECT, events.render_market
        case "portfolio":
            return events.portfolio_subject(key), events.render_portfolio
        case _:
            raise ValueError(f"channel {channel} has no subjects")


class Hub:
    def __init__(self, fanout: Fanout) -> None:
        self.fanout = fanout
        self._sockets: set[LiveSocket] = set()
        self._alert_listeners: dict[str, set[LiveSocket]] = defaultdict(set)
        self._portfolio_readers: dict[str, set[LiveSocket]] = defaultdict(set)

    async def start(self) -> None:
        self.fanout.start()
        await self.fanout.follow(events.ALERTS_SUBJECT, self._on_alert)
        await self.fanout.follow(events.SHARE_REVOKED_SUBJECT, self._on_share_revoked)
        await self.fanout.follow(events.PORTFOLIO_DELETED_SUBJECT, self._on_portfolio_deleted)
        await self.fanout.follow(events.SESSION_REVOKED_SUBJECT, self._on_session_ended)

    @property
    def sockets(self) -> int:
        return len(self._sockets)

    def connect(self, socket: LiveSocket) -> None:
        self._sockets.add(socket)

    async def disconnect(self, socket: LiveSocket, subscriptions: dict[Channel, set[str]]) -> None:
        self._sockets.discard(socket)
        for channel, keys in subscriptions.items():
            await self.unsubscribe(socket, channel, tuple(keys))

    async def subscribe(self, socket: LiveSocket, channel: Channel, keys: tuple[str, ...]) -> None:
        if channel == "alerts":
            self._alert_listeners[socket.user_id].add(socket)
            return
        for key in keys:
            subject, render = _route(channel, key)
            await self.fanout.join(subject, render, socket)
            if channel == "portfolio":
                self._portfolio_readers[key].add(socket)

    async def unsubscribe(self, socket: LiveSocket, channel: Channel, keys: tuple[str, ...]) -> None:
        if channel == "alerts":
            _discard(self._alert_listeners, socket.user_id, socket)
            return
        for key in keys:
            subject, _render = _route(channel, key)
            await self.fanout.leave(subject, socket)
            if channel == "portfolio":
                _discard(self._portfolio_readers, key, socket)

    def _on_alert(self, payload: bytes) -> None:
        delivery = events.alert_delivery(payload)
        if delivery is None:
            return
        for user_id in delivery.recipient_ids:
            for socket in tuple(self._alert_listeners.get(user_id, ())):
                socket.deliver(delivery.key, delivery.frame)

    def _on_share_revoked(self, payload: bytes) -> None:
        revoked = events.revoked_share(payload)
        if revoked is None:
            return
        portfolio_id, user_id = revoked
        for socket in tuple(self._portfolio_readers.get(portfolio_id, ())):
            if socket.user_id == user_id:
                socket.lose_access(
                    portfolio_id, "access_revoked", "The portfolio is no longer shared with you."
                )

    def _on_portfolio_deleted(self, payload: bytes) -> None:
        portfolio_id = events.deleted_portfolio(payload)
        for socket in tuple(self._portfolio_readers.get(portfolio_id or "", ())):
            socket.lose_access(portfolio_id or "", "portfolio_deleted", "The portfolio was deleted.")

    def _on_session_ended(self, payload: bytes) -> None:
        session_id = events.ended_session(payload)
        if session_id is None:
            return
        for socket in tuple(self._sockets):
            if socket.session_id == session_id:
                socket.end(CloseCode.SESSION_ENDED, "session ended")

    async def close(self) -> None:
        for socket in tuple(self._sockets):
            socket.end(CloseCode.GOING_AWAY, "server shutting down")
        await self.fanout.close()


def _discard(index: dict[str, set[LiveSocket]], key: str, socket: LiveSocket) -> None:
    members = index.get(key)
    if members is not None:
        members.discard(socket)
        if not members:
            del index[key]
