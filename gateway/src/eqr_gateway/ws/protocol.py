"""The WebSocket protocol's vocabulary: client requests parsed and checked, server frames built.

Every frame is a JSON text ``{"type": ..., "data": ...}``. Client requests may carry an
``id`` of their own choosing; the ``ack`` or ``error`` answering them repeats it. The
protocol is documented with examples in docs/websocket.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

import orjson

from eqr_gateway.schemas.market import symbol_problem

Channel = Literal["quotes", "market", "portfolio", "alerts"]
CHANNELS: tuple[Channel, ...] = ("quotes", "market", "portfolio", "alerts")
MARKET_KEY = "market"
"""The one key of the ``market`` channel (it has no symbols or ids)."""

_MAX_ID_CHARS = 64
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class CloseCode(IntEnum):
    """Why the server ended a socket; 4000-4999 are the protocol's own."""

    GOING_AWAY = 1001
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    AUTHENTICATION_TIMEOUT = 4001
    AUTHENTICATION_FAILED = 4002
    TOKEN_EXPIRED = 4003
    SESSION_ENDED = 4004
    IDLE = 4008
    TOO_SLOW = 4009


class ProtocolError(Exception):
    """A request refused: ``code`` for programs, ``message`` for people, ``field`` at fault."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.request_id: str | None = None
        """The refused request's ``id``, when it could be read."""


@dataclass(frozen=True)
class Authenticate:
    request_id: str | None
    token: str


@dataclass(frozen=True)
class Subscription:
    """``subscribe`` or ``unsubscribe`` of ``keys`` (symbols, portfolio ids) on ``channel``."""

    request_id: str | None
    action: Literal["subscribe", "unsubscribe"]
    channel: Channel
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Heartbeat:
    request_id: str | None


ClientRequest = Authenticate | Subscription | Heartbeat


def frame(kind: str, data: Any) -> str:
    return orjson.dumps({"type": kind, "data": data}, option=orjson.OPT_UTC_Z).decode()


def ack(request_id: str | None, **details: Any) -> str:
    return frame("ack", {"id": request_id, **details})


def error(request_id: str | None, problem: ProtocolError) -> str:
    return frame(
        "error", {"id": request_id, "code": problem.code, "message": problem.message, "field": problem.field}
    )


def parse(text: str, *, max_keys: int) -> ClientRequest:
    """The request ``text`` holds; ``ProtocolError`` naming the field when it is not one."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ProtocolError("malformed_json", "The message is not valid JSON.") from None
    if not isinstance(message, dict):
        raise ProtocolError("invalid_message", "A message is a JSON object with a type.", field="$")
    request_id = _request_id(message.get("id"))
    try:
        return _request(message, request_id, max_keys)
    except ProtocolError as problem:
        problem.request_id = request_id
        raise


def _request(message: dict[str, Any], request_id: str | None, max_keys: int) -> ClientRequest:
    data = message.get("data", {})
    if not isinstance(data, dict):
        raise ProtocolError("invalid_message", "data must be an object.", field="data")
    match message.get("type"):
        case "auth":
            token = data.get("token")
            if not isinstance(token, str) or not token:
                raise ProtocolError(
                    "invalid_message", "Give the access token as a string.", field="data.token"
                )
            return Authenticate(request_id, token)
        case "subscribe" | "unsubscribe" as action:
            channel = data.get("channel")
            if channel not in CHANNELS:
                raise ProtocolError(
                    "invalid_message", f"channel must be one of {', '.join(CHANNELS)}.", field="data.channel"
                )
            return Subscription(request_id, action, channel, _keys(channel, data, max_keys))
        case "heartbeat":
            return Heartbeat(request_id)
        case _:
            raise ProtocolError(
                "invalid_message", "type must be auth, subscribe, unsubscribe or heartbeat.", field="type"
            )


def _request_id(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ProtocolError("invalid_message", "id must be a string or an integer.", field="id")
    text = str(value)
    if len(text) > _MAX_ID_CHARS:
        raise ProtocolError("invalid_message", f"id is at most {_MAX_ID_CHARS} characters.", field="id")
    return text


def _keys(channel: Channel, data: dict[str, Any], max_keys: int) -> tuple[str, ...]:
    if channel == "market":
        return (MARKET_KEY,)
    if channel == "alerts":
        return ()
    field = "symbols" if channel == "quotes" else "portfolio_ids"
    values = data.get(field)
    if not isinstance(values, list) or not values:
        raise ProtocolError("invalid_message", f"Give {field} as a non-empty list.", field=f"data.{field}")
    if len(values) > max_keys:
        raise ProtocolError(
            "too_many_subscriptions", f"At most {max_keys} {field} per socket.", field=f"data.{field}"
        )
    keys: list[str] = []
    for index, value in enumerate(values):
        where = f"data.{field}[{index}]"
        if not isinstance(value, str):
            raise ProtocolError("invalid_message", "Give a string.", field=where)
        key = value.strip().upper() if channel == "quotes" else value.strip().lower()
        problem = symbol_problem(key) if channel == "quotes" else _uuid_problem(key)
        if problem is not None:
            raise ProtocolError("invalid_message", problem, field=where)
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def _uuid_problem(value: str) -> str | None:
    return None if _UUID.match(value) else "not a portfolio id (a UUID)"
