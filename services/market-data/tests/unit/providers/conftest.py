"""The recorded-response harness: provider fixtures served through ``httpx.MockTransport``,
with a fake clock that also stands in for sleep."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

API_KEY = "K3YF1XTURE7Q2W9Z"
"""Distinctive, so a leak into any message or log line is easy to spot."""


class FakeClock:
    """Seconds since the epoch, moved only by ``sleep`` and by the test."""

    def __init__(self, at: datetime) -> None:
        self.now = at.timestamp()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Recorded:
    """One recorded answer: a fixture file (or raw body) with its status and headers."""

    provider: str = ""
    name: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def response(self) -> httpx.Response:
        content = self.body if self.body is not None else (FIXTURES / self.provider / self.name).read_bytes()
        content_type = "application/json" if self.name.endswith(".json") else "text/plain"
        return httpx.Response(
            self.status, content=content, headers={"content-type": content_type, **self.headers}
        )


Answer = Recorded | Exception


class Replay:
    """A MockTransport handler serving answers by ``key(request)``. A list under a key is served
    in order and its last answer repeats; an exception is raised as the transport's failure."""

    def __init__(self, key: Callable[[httpx.Request], str], routes: dict[str, Answer | list[Answer]]) -> None:
        self._key = key
        self._routes = {
            name: answers if isinstance(answers, list) else [answers] for name, answers in routes.items()
        }
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = self._key(request)
        assert key in self._routes, f"unexpected request {key}"
        queue = self._routes[key]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer.response()

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))

    def params(self, index: int = -1) -> dict[str, str]:
        return dict(self.requests[index].url.params)


@pytest.fixture
def api_key() -> str:
    return API_KEY


@pytest.fixture
def recorded() -> type[Recorded]:
    return Recorded


@pytest.fixture
def replay() -> type[Replay]:
    return Replay


@pytest.fixture
def make_clock() -> type[FakeClock]:
    return FakeClock
