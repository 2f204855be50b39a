"""Rich gRPC errors survive the wire: code, message, field violations, retry hint."""

from __future__ import annotations

import grpc
import pytest

from eqr_platform.grpc.errors import FieldViolation, ServiceError, decode_error
from eqr_platform.grpc.interceptors import ErrorTable


class _FakeRpcError(grpc.aio.AioRpcError):
    def __init__(self, status: grpc.Status) -> None:
        super().__init__(
            status.code,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(*status.trailing_metadata),
            details=status.details,
        )


def test_field_violations_and_retry_hint_round_trip() -> None:
    error = ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "bad input",
        [FieldViolation("email", "not an email"), FieldViolation("password", "too short")],
        retry_after_seconds=30,
    )
    decoded = decode_error(_FakeRpcError(error.to_status()))
    assert decoded.code == grpc.StatusCode.INVALID_ARGUMENT
    assert decoded.message == "bad input"
    assert decoded.violations == error.violations
    assert decoded.retry_after_seconds == 30


def test_plain_error_has_no_details() -> None:
    decoded = decode_error(_FakeRpcError(ServiceError(grpc.StatusCode.NOT_FOUND, "no such user").to_status()))
    assert (decoded.code, decoded.message, decoded.violations) == (
        grpc.StatusCode.NOT_FOUND,
        "no such user",
        [],
    )


class DomainError(Exception):
    pass


class SpecificError(DomainError):
    pass


class UnmappedError(Exception):
    pass


def test_error_table_walks_the_class_hierarchy() -> None:
    table = ErrorTable(
        {
            DomainError: grpc.StatusCode.FAILED_PRECONDITION,
            ValueError: lambda e: ServiceError(grpc.StatusCode.INVALID_ARGUMENT, f"value: {e}"),
        }
    )
    specific = table.translate(SpecificError("nope"))
    assert specific is not None
    assert specific.code == grpc.StatusCode.FAILED_PRECONDITION
    assert specific.message == "nope"
    value = table.translate(ValueError("x"))
    assert value is not None
    assert value.message == "value: x"
    assert table.translate(UnmappedError()) is None


@pytest.mark.parametrize("code", [grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED])
def test_service_errors_pass_through_the_table(code: grpc.StatusCode) -> None:
    error = ServiceError(code, "as raised")
    assert ErrorTable({}).translate(error) is error
