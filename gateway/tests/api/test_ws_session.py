"""The live socket's deadlines and limits, driven over ASGI with short settings.

The e2e tests cover the protocol through the fleet; these cover what takes the default
settings a minute or more to show: heartbeats, the idle close, a token expiring mid-socket,
and a client that stops reading.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI

from eqr_gateway.ws.route import PATH

Message = dict[str, Any]


class _Client:
    """One WebSocket client speaking ASGI to the app; ``reading`` False stalls every frame sent to it."""

    def __init__(self, app: FastAPI, token: str) -> None:
        self._app = app
        self._token = token
        self._incoming: asyncio.Queue[Message] = asyncio.Queue()
        self.frames: asyncio.Queue[Message] = asyncio.Queue()
        self.closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.reading = asyncio.Event()
        self.reading.set()

    def scope(self) -> Message:
        return {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": PATH,
            "raw_path": PATH.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"gateway.test")],
            "client": ("203.0.113.7", 51000),
            "server": ("gateway.test", 80),
            "subprotocols": ["eqr.v1", f"bearer.{self._token}"],
            "state": {},
        }

    async def _receive(self) -> Message:
        return await self._incoming.get()

    async def _send(self, message: Message) -> None:
        if message["type"] == "websocket.send":
            await self.reading.wait()
            self.frames.put_nowait(json.loads(message["text"]))
        elif message["type"] == "websocket.close" and not self.closed.done():
            self.closed.set_result(message.get("code", 1000))

    def say(self, kind: str, **data: Any) -> None:
        self._incoming.put_nowait(
            {"type": "websocket.receive", "text": json.dumps({"type": kind, "data": data})}
        )

    async def next(self, kind: str) -> Message:
        async with asyncio.timeout(5):
            while True:
                frame = await self.frames.get()
                if frame["type"] == kind:
                    return frame

    @asynccontextmanager
    async def connected(self) -> AsyncIterator[_Client]:
        self._incoming.put_nowait({"type": "websocket.connect"})
        serving = asyncio.create_task(self._app(self.scope(), self._receive, self._send))
        try:
            yield self
        finally:
            self._incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
            self.reading.set()
            async with asyncio.timeout(5):
                await serving


@pytest.fixture
def user_token(sign_in: Callable[..., Any]) -> str:
    token: str = sign_in().token
    return token


async def test_heartbeats_flow_and_an_idle_client_is_closed(
    make_gateway: Callable[..., Any], user_token: str
) -> None:
    settings = {"ws_heartbeat_seconds": 0.1, "ws_idle_timeout_seconds": 0.6}
    async with make_gateway(**settings) as (app, _), _Client(app, user_token).connected() as client:
        await client.next("ack")
        await client.next("heartbeat")
        await client.next("heartbeat")
        client.say("heartbeat")  # a sign of life postpones the idle close
        assert (await client.next("heartbeat"))["data"]["id"] is None
        async with asyncio.timeout(3):
            assert await client.closed == 4008


async def test_a_token_expiring_mid_socket_ends_it_with_its_own_code(
    make_gateway: Callable[..., Any], sign_in: Callable[..., Any], signing_keys: Any
) -> None:
    user = sign_in()
    token = signing_keys.access_token(user.user.id, session_id=user.session_id, expires_in=2)
    async with make_gateway() as (app, _), _Client(app, token).connected() as client:
        await client.next("ack")
        async with asyncio.timeout(5):
            assert await client.closed == 4003
        assert (await client.next("error"))["data"]["code"] == "token_expired"


async def test_a_client_that_stops_reading_is_closed_without_holding_anyone_up(
    make_gateway: Callable[..., Any], user_token: str
) -> None:
    settings = {"ws_max_subscriptions": 2, "ws_message_burst": 1000, "ws_messages_per_second": 1000}
    async with make_gateway(**settings) as (app, _), _Client(app, user_token).connected() as client:
        await client.next("ack")
        client.reading.clear()
        # Each answer is a frame of its own; the mailbox holds 2 + 64 of them.
        for _ in range(80):
            client.say("heartbeat")
        async with asyncio.timeout(5):
            assert await client.closed == 4009


async def test_a_failing_dependency_refuses_the_request_and_keeps_the_socket(
    make_gateway: Callable[..., Any], user_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with make_gateway() as (app, _), _Client(app, user_token).connected() as client:
        await client.next("ack")

        async def broken(*_: object) -> list[bytes]:
            raise ConnectionError("redis is down")

        monkeypatch.setattr(app.state.resources.quotes, "quotes", broken)
        client.say("subscribe", channel="quotes", symbols=["AAPL"])
        assert (await client.next("error"))["data"]["code"] == "unavailable"
        client.say("heartbeat")
        await client.next("heartbeat")
        assert not client.closed.done()
