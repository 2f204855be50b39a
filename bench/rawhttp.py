"""A minimal HTTP/1.1 keep-alive GET client for load generation.

The load generator shares the machine's cores with the fleet; httpx spends several times
more CPU per request than the gateway itself, so it would measure the client. This one
writes the request bytes and reads the status line, headers and ``Content-Length`` body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import urlsplit


class RawClient:
    def __init__(self, base_url: str, *, connections: int) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._connections = connections
        self._pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def __aenter__(self) -> RawClient:
        for _ in range(self._connections):
            self._pool.put_nowait(await asyncio.open_connection(self._host, self._port))
        return self

    async def __aexit__(self, *_: object) -> None:
        while not self._pool.empty():
            _reader, writer = self._pool.get_nowait()
            writer.close()

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> int:
        """The response status; the body is read and dropped."""
        lines = [f"GET {path} HTTP/1.1", f"Host: {self._host}:{self._port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        reader, writer = await self._pool.get()
        try:
            writer.write(request)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
        finally:
            self._pool.put_nowait((reader, writer))
        return status
