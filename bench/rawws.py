"""A minimal WebSocket client (RFC 6455) for load generation: handshake, masked text frames
out, unmasked frames in, pings answered.

A thousand sockets receiving twenty thousand frames a second would measure a full client
library's per-frame cost rather than the gateway's; this one hands each text payload, as
bytes, to a callback straight from ``data_received``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from collections.abc import Callable
from urllib.parse import urlsplit

_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA


def _masked(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    key = int.from_bytes((mask * (length // 4 + 1))[:length], "big")
    body = (int.from_bytes(payload, "big") ^ key).to_bytes(length, "big") if length else b""
    return header + mask + body


class RawSocket(asyncio.Protocol):
    def __init__(self, on_text: Callable[[bytes], None]) -> None:
        self._on_text = on_text
        self._buffer = bytearray()
        self._upgraded = asyncio.get_running_loop().create_future()
        self._transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(cls, url: str, *, subprotocols: list[str], on_text: Callable[[bytes], None]) -> RawSocket:
        parts = urlsplit(url)
        loop = asyncio.get_running_loop()
        _transport, socket = await loop.create_connection(
            lambda: cls(on_text), parts.hostname or "127.0.0.1", parts.port or 80
        )
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {', '.join(subprotocols)}\r\n\r\n"
        )
        assert socket._transport is not None
        socket._transport.write(request.encode())
        await socket._upgraded
        return socket

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._upgraded.done():
            self._upgraded.set_exception(ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def send_text(self, text: str) -> None:
        assert self._transport is not None
        self._transport.write(_masked(_TEXT, text.encode()))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded.done():
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._buffer[:end]).split(b" ", 2)[1]
            del self._buffer[: end + 4]
            if status != b"101":
                self._upgraded.set_exception(ConnectionError(f"handshake refused: HTTP {status.decode()}"))
                return
            self._upgraded.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buffer = self._buffer
        start = 0
        while len(buffer) - start >= 2:
            opcode = buffer[start] & 0x0F
            length = buffer[start + 1] & 0x7F
            offset = start + 2
            if length == 126:
                if len(buffer) - offset < 2:
                    break
                length = int.from_bytes(buffer[offset : offset + 2], "big")
                offset += 2
            elif length == 127:
                if len(buffer) - offset < 8:
                    break
                length = int.from_bytes(buffer[offset : offset + 8], "big")
                offset += 8
            if len(buffer) - offset < length:
                break
            payload = bytes(buffer[offset : offset + length])
            start = offset + length
            if opcode == _TEXT:
                self._on_text(payload)
            elif opcode == _PING and self._transport is not None:
                self._transport.write(_masked(_PONG, payload))
            elif opcode == _CLOSE:
                self.close()
        del buffer[:start]
