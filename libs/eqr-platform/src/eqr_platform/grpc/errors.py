"""Errors on the wire: a status code, a message and, for bad input, the fields at fault.

Field violations travel as ``google.rpc.BadRequest`` in the standard rich-status trailer
(``grpc-status-details-bin``), so the gateway can name the field in its problem+json.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


@dataclass
class ServiceError(Exception):
    code: grpc.StatusCode
    message: str
    violations: list[FieldViolation] = field(default_factory=list)
    retry_after_seconds: int | None = None

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"

    def to_status(self) -> grpc.Status:
        status = status_pb2.Status(code=self.code.value[0], message=self.message)
        if self.violations:
            bad_request = error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                    for v in self.violations
                ]
            )
            detail = any_pb2.Any()
            detail.Pack(bad_request)
            status.details.append(detail)
        if self.retry_after_seconds is not None:
            retry = error_details_pb2.RetryInfo()
            retry.retry_delay.seconds = self.retry_after_seconds
            detail = any_pb2.Any()
            detail.Pack(retry)
            status.details.append(detail)
        result: grpc.Status = rpc_status.to_status(status)
        return result


def invalid_argument(field_name: str, description: str) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT, description, [FieldViolation(field_name, description)]
    )


def decode_error(err: grpc.aio.AioRpcError) -> ServiceError:
    """The client-side view of a failed call, with its field violations and retry hint."""
    error = ServiceError(err.code(), err.details() or err.code().name.lower())
    for key, value in err.trailing_metadata() or ():
        if key != _DETAILS_KEY or not isinstance(value, bytes):
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                error.violations.extend(
                    FieldViolation(v.field, v.description) for v in bad_request.field_violations
                )
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                detail.Unpack(retry)
                error.retry_after_seconds = int(retry.retry_delay.seconds)
    return error
