"""Request bodies are bounded: refused by Content-Length up front, cut off when streamed past it.

One limit for every route, except the paths given their own (an upload route needs more),
by exact path or by a pattern for paths with ids in them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eqr_gateway.problems import ProblemError, problem_response


def _too_large(max_bytes: int) -> str:
    return f"The request body is larger than the {max_bytes} bytes allowed."


class BodyTooLargeError(HTTPException):
    """Raised from ``receive``; FastAPI passes HTTPExceptions from body reading straight through."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _too_large(max_bytes))


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_bytes_by_path: Mapping[str, int] | None = None,
        max_bytes_by_pattern: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_bytes_by_path = dict(max_bytes_by_path or {})
        self.max_bytes_by_pattern = tuple(max_bytes_by_pattern)

    def _limit(self, path: str) -> int:
        if path in self.max_bytes_by_path:
            return self.max_bytes_by_path[path]
        for pattern, max_bytes in self.max_bytes_by_pattern:
            if pattern.fullmatch(path):
                return max_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(scope, receive, send, ProblemError(400, "Content-Length is not a number."))
                return
            if int(declared) > max_bytes:
                await self._refuse(scope, receive, send, ProblemError(413, _too_large(max_bytes)))
                return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLargeError(max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if response_started:
                raise
            await self._refuse(scope, receive, send, ProblemError(413, _too_large(max_bytes)))

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, problem: ProblemError) -> None:
        problem.headers["Connection"] = "close"
        await problem_response(problem, scope["path"])(scope, receive, send)
