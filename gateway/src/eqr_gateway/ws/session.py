"""One socket from accept to close: authentication, requests, subscriptions, heartbeats, limits.

The socket's own task reads and answers requests in order, a writer task sends what the
mailbox holds, and a timer enforces the deadlines (authentication, token expiry, idleness)
and sends heartbeats: as few tasks as a socket can have, because sockets are many. The
writer stays while the socket follows something; otherwise it goes once the mailbox is
empty and the next frame starts another, so an idle socket holds no task but its own. Anything
may end the socket by calling ``end``; the first reason given is the close code the client
sees, after the frames already queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
from starlette.websockets import WebSocket, WebSocketState

from eqr_gateway.grpc_calls import outgoing_metadata
from eqr_gateway.resources import Resources
from eqr_gateway.security import Principal, SessionEndedError, verify_access_token
from eqr_gateway.ws import protocol, snapshots
from eqr_gateway.ws.hub import Hub
from eqr_gateway.ws.mailbox import Mailbox, MailboxFull
from eqr_gateway.ws.metrics import LiveMetrics
from eqr_gateway.ws.protocol import Channel, CloseCode, ProtocolError
from eqr_platform.tokens import ExpiredTokenError, TokenError

log = logging.getLogger("eqr.gateway.ws")

SUBPROTOCOL = "eqr.v1"
"""Offered by clients; a token may ride along as a second offer ``bearer.<token>``."""
_BEARER_OFFER = "bearer."
_FLUSH_SECONDS = 1.0
_CONTROL_FRAMES = 64
"""Room in the mailbox beyond one frame per subscribed key: acks, errors, heartbeats, alerts."""


@dataclass(frozen=True)
class Limits:
    auth_timeout_seconds: float
    heartbeat_seconds: float
    idle_timeout_seconds: float
    max_subscriptions: int
    max_message_bytes: int
    messages_per_second: float
    message_burst: int


class _RateLimit:
    """A token bucket: ``burst`` messages at once, refilled at ``rate`` per second."""

    __slots__ = ("_at", "_burst", "_rate", "_tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._at = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


def offered_token(websocket: WebSocket) -> str | None:
    for offer in websocket.scope.get("subprotocols", ()):
        if offer.startswith(_BEARER_OFFER):
            return str(offer[len(_BEARER_OFFER) :])
    return None


class LiveSession:
    # Slots: thousands of sockets each hold one; a per-instance __dict__ would be a quarter of it.
    __slots__ = (
        "_background",
        "_control",
        "_ending",
        "_hub",
        "_last_heard",
        "_last_heartbeat",
        "_limits",
        "_mailbox",
        "_metrics",
        "_opened_at",
        "_principal",
        "_rate",
        "_reading",
        "_resources",
        "_subscriptions",
        "_timer",
        "_websocket",
        "_writer",
        "session_id",
        "user_id",
    )

    def __init__(
        self, websocket: WebSocket, resources: Resources, hub: Hub, limits: Limits, metrics: LiveMetrics
    ) -> None:
        self._websocket = websocket
        self._resources = resources
        self._hub = hub
        self._limits = limits
        self._metrics = metrics
        self._mailbox = Mailbox(limits.max_subscriptions + _CONTROL_FRAMES)
        self._rate = _RateLimit(limits.messages_per_second, limits.message_burst)
        self._principal: Principal | None = None
        self._subscriptions: dict[Channel, set[str]] = {}
        self._ending: tuple[CloseCode, str] | None = None
        self._reading: asyncio.Task[object] | None = None
        self._opened_at = self._last_heard = self._last_heartbeat = time.monotonic()
        self._control = 0
        self._background: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._writer: asyncio.Task[None] | None = None
        self.user_id = ""
        self.session_id: str | None = None

    # --- what the hub calls -----------------------------------------------------------------

    def deliver(self, key: str, frame: str) -> None:
        try:
            self._mailbox.post(key, frame)
        except MailboxFull:
            self.end(CloseCode.TOO_SLOW, "the client is not reading")
            return
        if self._writer is None and self._ending is None:
            self._writer = asyncio.create_task(self._write())

    def end(self, code: CloseCode, reason: str) -> None:
        if self._ending is not None:
            return
        self._ending = (code, reason)
        # The socket's own task reads requests; from anywhere else, interrupt its read.
        if self._reading is not None and self._reading is not asyncio.current_task():
            self._reading.cancel()

    def lose_access(self, portfolio_id: str, code: str, message: str) -> None:
        keys = self._subscriptions.get("portfolio", set())
        if portfolio_id not in keys:
            return
        keys.discard(portfolio_id)
        self._send_control(
            protocol.frame(
                "error", {"id": None, "code": code, "message": message, "portfolio_id": portfolio_id}
            )
        )
        task = asyncio.create_task(self._hub.unsubscribe(self, "portfolio", (portfolio_id,)))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- the socket's life ------------------------------------------------------------------

    async def run(self) -> None:
        offers = self._websocket.scope.get("subprotocols", ())
        await self._websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offers else None)
        self._hub.connect(self)
        self._metrics.sockets.inc()
        self._watch()
        self._reading = reading = asyncio.current_task()
        assert reading is not None
        try:
            token = offered_token(self._websocket)
            if token is not None:
                await self._authenticate(None, token)
            # Requests are read once a token offered with the connection has been checked.
            await self._read()
        except asyncio.CancelledError:
            if self._ending is None:  # not ours: the server is stopping
                raise
            reading.uncancel()
        finally:
            self._reading = None
            if self._timer is not None:
                self._timer.cancel()
            if self._writer is not None:
                self._writer.cancel()
                await asyncio.gather(self._writer, return_exceptions=True)
            self._metrics.sockets.dec()
            await self._hub.disconnect(self, self._subscriptions)
            await self._close()

    async def _close(self) -> None:
        """Sends what is queued (unless the client stopped reading), then the close frame; each
        within a bound, since a client that does not read can hold a send forever."""
        if self._websocket.client_state != WebSocketState.CONNECTED:
            return
        code, reason = self._ending or (CloseCode.GOING_AWAY, "")
        if code != CloseCode.TOO_SLOW:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(_FLUSH_SECONDS):
                    for frame in self._mailbox.drain():
                        await self._websocket.send_text(frame)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(_FLUSH_SECONDS):
                await self._websocket.close(code=code, reason=reason)

    async def _write(self) -> None:
        try:
            while True:
                frames = self._mailbox.drain()
                if not frames:
                    if not self._subscribed_keys():
                        self._writer = None
                        return
                    frames = await self._mailbox.take()
                for frame in frames:
                    await self._websocket.send_text(frame)
                self._metrics.frames.inc(len(frames))
        except Exception:
            self.end(CloseCode.GOING_AWAY, "")

    async def _read(self) -> None:
        while self._ending is None:
            message = await self._websocket.receive()
            if message["type"] == "websocket.disconnect":
                self.end(CloseCode.GOING_AWAY, "")
                return
            self._last_heard = time.monotonic()
            text = message.get("text")
            if text is None:
                self._refuse(None, ProtocolError("invalid_message", "Send JSON text frames, not binary."))
                continue
            if len(text) > self._limits.max_message_bytes:
                self.end(
                    CloseCode.MESSAGE_TOO_BIG, f"messages are at most {self._limits.max_message_bytes} bytes"
                )
                return
            if not self._rate.allow():
                self._refuse(None, ProtocolError("rate_limited", "Too many messages; slow down."))
                continue
            await self._handle(text)

    def _watch(self) -> None:
        """The deadlines, checked when the nearest falls due (a timer, not a task: sockets are many)."""
        limits = self._limits
        now = time.monotonic()
        if self._principal is None and now - self._opened_at >= limits.auth_timeout_seconds:
            self._refuse(None, ProtocolError("unauthenticated", "No access token was given in time."))
            self.end(CloseCode.AUTHENTICATION_TIMEOUT, "authentication timeout")
            return
        if self._principal is not None and self._principal.expires_at <= datetime.now(UTC):
            self._refuse(None, ProtocolError("token_expired", "The access token has expired."))
            self.end(CloseCode.TOKEN_EXPIRED, "token expired")
            return
        if now - self._last_heard >= limits.idle_timeout_seconds:
            self.end(CloseCode.IDLE, "idle")
            return
        if now - self._last_heartbeat >= limits.heartbeat_seconds:
            self._last_heartbeat = now
            self._send_control(protocol.frame("heartbeat", {"server_time": datetime.now(UTC)}))
        self._timer = asyncio.get_running_loop().call_later(self._seconds_to_next_deadline(now), self._watch)

    def _seconds_to_next_deadline(self, now: float) -> float:
        limits = self._limits
        deadlines = [
            self._last_heard + limits.idle_timeout_seconds,
            self._last_heartbeat + limits.heartbeat_seconds,
        ]
        if self._principal is None:
            deadlines.append(self._opened_at + limits.auth_timeout_seconds)
        else:
            deadlines.append(now + (self._principal.expires_at - datetime.now(UTC)).total_seconds())
        return max(min(deadlines) - now, 0.01)

    # --- requests ---------------------------------------------------------------------------

    async def _handle(self, text: str) -> None:
        try:
            request = protocol.parse(text, max_keys=self._limits.max_subscriptions)
        except ProtocolError as problem:
            self._refuse(problem.request_id, problem)
            return
        try:
            match request:
                case protocol.Authenticate():
                    await self._authenticate(request.request_id, request.token)
                case protocol.Heartbeat():
                    self._send_control(
                        protocol.frame(
                            "heartbeat", {"id": request.request_id, "server_time": datetime.now(UTC)}
                        )
                    )
                case protocol.Subscription() if self._principal is None:
                    raise ProtocolError("unauthenticated", "Authenticate first: send an auth message.")
                case protocol.Subscription(action="subscribe"):
                    await self._subscribe(request)
                case protocol.Subscription():
                    await self._unsubscribe(request)
        except ProtocolError as problem:
            self._refuse(request.request_id, problem)
        except Exception:
            # Redis or NATS failing under a request: the socket lives on, the request is refused.
            log.exception("a live socket request failed", extra={"request": type(request).__name__})
            self._refuse(request.request_id, ProtocolError("unavailable", "Try again shortly."))

    async def _authenticate(self, request_id: str | None, token: str) -> None:
        first = self._principal is None
        try:
            principal = await verify_access_token(self._resources, token)
        except (ExpiredTokenError, TokenError, SessionEndedError, grpc.aio.AioRpcError) as exc:
            problem, code = _authentication_problem(exc)
            self._refuse(request_id, problem)
            if first:
                self.end(code, problem.message[:100])
            return
        if not first and self._principal is not None and principal.user_id != self._principal.user_id:
            raise ProtocolError("token_user_mismatch", "A replacement token must be for the same user.")
        self._principal = principal
        self.user_id, self.session_id = principal.user_id, principal.session_id
        self._send_control(
            protocol.ack(
                request_id, request="auth", user_id=principal.user_id, expires_at=principal.expires_at
            )
        )

    async def _subscribe(self, request: protocol.Subscription) -> None:
        held = self._subscriptions.get(request.channel, set())
        new = tuple(key for key in request.keys if key not in held)
        if (
            request.channel != "alerts"
            and self._subscribed_keys() + len(new) > self._limits.max_subscriptions
        ):
            raise ProtocolError(
                "too_many_subscriptions",
                f"A socket holds at most {self._limits.max_subscriptions} subscriptions.",
                field="data",
            )
        current = await self._snapshot(request.channel, new)
        self._subscriptions.setdefault(request.channel, set()).update(new)
        self._send_control(
            protocol.ack(
                request.request_id, request="subscribe", channel=request.channel, keys=list(request.keys)
            )
        )
        for key, frame in current.items():
            self.deliver(key, frame)
        await self._hub.subscribe(self, request.channel, new)

    async def _unsubscribe(self, request: protocol.Subscription) -> None:
        held = self._subscriptions.get(request.channel, set())
        gone = tuple(key for key in request.keys if key in held) if request.channel != "alerts" else ()
        held.difference_update(gone)
        if request.channel == "alerts":
            self._subscriptions.pop("alerts", None)
        await self._hub.unsubscribe(self, request.channel, gone)
        self._send_control(
            protocol.ack(
                request.request_id, request="unsubscribe", channel=request.channel, keys=list(request.keys)
            )
        )

    async def _snapshot(self, channel: Channel, keys: tuple[str, ...]) -> dict[str, str]:
        if not keys and channel != "alerts":
            return {}
        assert self._principal is not None
        metadata = outgoing_metadata(self._websocket, self._principal.access_token)
        match channel:
            case "quotes":
                return await snapshots.quotes(self._resources, metadata, keys)
            case "market":
                return await snapshots.market(self._resources, metadata)
            case "portfolio":
                return await snapshots.portfolios(self._resources, metadata, keys)
            case _:
                return {}

    def _subscribed_keys(self) -> int:
        return sum(len(keys) for channel, keys in self._subscriptions.items() if channel != "alerts")

    def _refuse(self, request_id: str | None, problem: ProtocolError) -> None:
        self._send_control(protocol.error(request_id, problem))

    def _send_control(self, frame: str) -> None:
        self._control += 1
        self.deliver(f"#{self._control}", frame)


def _authentication_problem(exc: Exception) -> tuple[ProtocolError, CloseCode]:
    match exc:
        case ExpiredTokenError():
            return ProtocolError("token_expired", "The access token has expired."), CloseCode.TOKEN_EXPIRED
        case TokenError():
            return (
                ProtocolError("authentication_failed", f"The access token is not valid: {exc.reason}."),
                CloseCode.AUTHENTICATION_FAILED,
            )
        case SessionEndedError():
            return (
                ProtocolError("session_ended", "The session of this access token has ended."),
                CloseCode.SESSION_ENDED,
            )
        case _:
            return (
                ProtocolError("unavailable", "Tokens cannot be checked right now; try again shortly."),
                CloseCode.GOING_AWAY,
            )
