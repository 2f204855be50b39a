"""The last line of defence: an unexpected exception becomes a bare 500 problem, logged here."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eqr_gateway.problems import ProblemError, problem_response

log = logging.getLogger("eqr.gateway.errors")


class UnhandledErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error", extra={"method": scope["method"], "path": scope["path"]})
            if response_started:
                raise
            problem = ProblemError(
                500, "An unexpected error occurred; quote the request id when reporting it."
            )
            await problem_response(problem, scope["path"])(scope, receive, send)
