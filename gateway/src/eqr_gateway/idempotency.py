"""``Idempotency-Key`` on POSTs that create: a retried request gets the first one's answer.

Any route opts in with ``dependencies=[IDEMPOTENT]``. The dependency claims the key (or
answers from a stored result); ``IdempotencyMiddleware`` stores the route's response once it
has been sent. Keys are scoped by caller, method and route template, and remember a hash
of the request's path, query and body: the same key on another resource (another portfolio's
share) or with another body is a client error, not a replay.

- first request: runs; a 2xx answer is stored for ``ttl_seconds``, anything else frees the key
- same key, same body, finished: the stored status and body, with ``Idempotent-Replayed: true``
- same key, same body, still running: 409
- same key, another path, query or body: 422 naming the Idempotency-Key header
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eqr_gateway.idempotency_store import HEADER, IdempotencyStore, IdempotentReplay, StoredResponse
from eqr_gateway.resources import get_resources
from eqr_gateway.security import Principal, optional_principal

REPLAYED_HEADER = "Idempotent-Replayed"
_STATE_KEY = "eqr_idempotency"
_KEY_PREFIX = "eqr:gateway:idempotency:"


@dataclass
class _Claim:
    store: IdempotencyStore
    key: str
    owner: str
    fingerprint: str


def _scoped_key(principal: Principal | None, request: Request, key: str) -> str:
    route = getattr(request.scope.get("route"), "path_format", request.url.path)
    caller = principal.user_id if principal else "anonymous"
    return _KEY_PREFIX + hashlib.sha256(f"{caller}\n{request.method}\n{route}\n{key}".encode()).hexdigest()


async def idempotency_key(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            min_length=1,
            max_length=255,
            pattern=r"^[!-~]+$",
            description="A client-chosen unique key (a UUID is ideal) that makes retrying this POST safe.",
        ),
    ] = None,
) -> None:
    if key is None:
        return
    scoped = _scoped_key(await optional_principal(request), request, key)
    query = urlencode(sorted(request.query_params.multi_items()))  # a retry may order them otherwise
    fingerprint = _fingerprint(request.url.path, query, await request.body())
    store = get_resources(request).idempotency
    owner = await store.claim(scoped, fingerprint)
    request.scope.setdefault("state", {})[_STATE_KEY] = _Claim(store, scoped, owner, fingerprint)


def _fingerprint(path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256(f"{path}\n{query}\n".encode())
    digest.update(body)
    return digest.hexdigest()


IDEMPOTENT = Depends(idempotency_key)


async def _replay(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    stored = exc.response
    return Response(
        stored.body,
        status_code=stored.status,
        media_type=stored.media_type,
        headers={REPLAYED_HEADER: "true"},
    )


def install_idempotency(app: FastAPI) -> None:
    app.add_exception_handler(IdempotentReplay, _replay)


class IdempotencyMiddleware:
    """Stores the response of a request that claimed an Idempotency-Key, or frees the key."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        media_type: str | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, media_type
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers", []))
                raw_type = headers.get(b"content-type")
                media_type = raw_type.decode("latin-1") if raw_type else None
            elif message["type"] == "http.response.body" and _STATE_KEY in scope.get("state", {}):
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            claim: _Claim | None = scope.get("state", {}).pop(_STATE_KEY, None)
            if claim is not None:
                if 200 <= status < 300:
                    stored = StoredResponse(status, media_type, b"".join(chunks))
                    await claim.store.complete(claim.key, claim.owner, claim.fingerprint, stored)
                else:
                    await claim.store.release(claim.key, claim.owner)
