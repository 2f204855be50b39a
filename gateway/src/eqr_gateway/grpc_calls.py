"""Calls to the services: the metadata every call carries and gRPC status -> problem."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import grpc
from starlette.requests import HTTPConnection

from eqr_gateway.problems import FieldError, ProblemError, unauthenticated
from eqr_platform.grpc import decode_error
from eqr_platform.logging import request_id_var

log = logging.getLogger("eqr.gateway.upstream")

RequestT = TypeVar("RequestT")
ResponseT = TypeVar("ResponseT")

Metadata = tuple[tuple[str, str], ...]
# (proto field prefix, REST prefix) pairs, first match wins: how a service's field names
# ("email", "preferences.theme") read in the REST contract ("body.email", "body.theme").
FieldMap = Sequence[tuple[str, str]]
BODY_FIELDS: FieldMap = (("", "body."),)

_MAX_CLIENT_TEXT = 512

_STATUS_BY_CODE: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
}


def _printable(value: str) -> str:
    """gRPC metadata values must be printable ASCII; the client's free text is also bounded."""
    return "".join(ch for ch in value if " " <= ch <= "~")[:_MAX_CLIENT_TEXT]


def outgoing_metadata(request: HTTPConnection, access_token: str | None) -> Metadata:
    # gRPC replaces a call's "user-agent" with its own, so the client's travels as "x-user-agent".
    pairs = [
        ("authorization", f"Bearer {access_token}" if access_token else ""),
        ("x-request-id", request_id_var.get() or ""),
        ("x-client-ip", request.client.host if request.client else ""),
        ("x-user-agent", _printable(request.headers.get("user-agent", ""))),
    ]
    return tuple((key, value) for key, value in pairs if value)


def rest_field(proto_field: str, field_map: FieldMap) -> str:
    for proto_prefix, rest_prefix in field_map:
        if proto_field.startswith(proto_prefix):
            return rest_prefix + proto_field[len(proto_prefix) :]
    return proto_field


def _retry_after(err: grpc.aio.AioRpcError, hinted: int | None) -> str | None:
    if hinted is not None:
        return str(max(hinted, 1))
    for key, value in err.trailing_metadata() or ():
        if key == "retry-after" and isinstance(value, str) and value.strip().isdigit():
            return value.strip()
    return None


def problem_from_rpc_error(
    err: grpc.aio.AioRpcError, *, service: str, field_map: FieldMap = BODY_FIELDS
) -> ProblemError:
    error = decode_error(err)
    status = _STATUS_BY_CODE.get(error.code, 500)
    if status == 500:
        log.error(
            "upstream failed", extra={"service": service, "code": error.code.name, "error": error.message}
        )
        return ProblemError(500, "An unexpected error occurred.")
    if status == 503:
        log.warning("upstream unavailable", extra={"service": service, "code": error.code.name})
        return ProblemError(503, f"The {service} service is unavailable; try again shortly.")
    if status == 401:
        return unauthenticated(error.message)
    headers: dict[str, str] = {}
    if status == 429 and (retry_after := _retry_after(err, error.retry_after_seconds)):
        headers["Retry-After"] = retry_after
    errors = [
        FieldError(field=rest_field(violation.field, field_map), message=violation.description)
        for violation in error.violations
    ]
    return ProblemError(status, error.message, errors=errors, headers=headers)


@dataclass(frozen=True)
class Upstream:
    """How this request calls one service: its metadata and deadline."""

    service: str
    metadata: Metadata
    timeout: float

    def lasting(self, seconds: float) -> Upstream:
        """The same call with a longer deadline, for the few RPCs that do bulk work."""
        return replace(self, timeout=seconds)

    async def call(
        self,
        method: grpc.aio.UnaryUnaryMultiCallable[RequestT, ResponseT],
        message: RequestT,
        *,
        fields: FieldMap = BODY_FIELDS,
    ) -> ResponseT:
        try:
            return await method(message, metadata=self.metadata, timeout=self.timeout)
        except grpc.aio.AioRpcError as err:
            raise problem_from_rpc_error(err, service=self.service, field_map=fields) from None
