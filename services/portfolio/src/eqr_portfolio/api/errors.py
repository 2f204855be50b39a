"""The one table from portfolio domain errors to gRPC status codes."""

from __future__ import annotations

import grpc

from eqr_platform.grpc.errors import FieldViolation, ServiceError
from eqr_platform.grpc.interceptors import ErrorTable
from eqr_portfolio.domain.csv_transactions import ImportRejected
from eqr_portfolio.domain.errors import Conflict, LedgerRejected, NotFound, PermissionDenied, ValidationFailed


def _invalid(exc: Exception) -> ServiceError:
    assert isinstance(exc, ValidationFailed)
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        str(exc),
        [FieldViolation(v.field, v.message) for v in exc.violations],
    )


def _rejected(exc: Exception) -> ServiceError:
    assert isinstance(exc, LedgerRejected)
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, exc.reason, [FieldViolation(exc.field, exc.reason)])


def _import_rejected(exc: Exception) -> ServiceError:
    assert isinstance(exc, ImportRejected)
    violations = [
        FieldViolation(f"line {p.line}: {p.field}" if p.line else p.field or "content", p.message)
        for p in exc.problems
    ]
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, str(exc), violations)


ERRORS = ErrorTable(
    {
        ValidationFailed: _invalid,
        LedgerRejected: _rejected,
        ImportRejected: _import_rejected,
        NotFound: grpc.StatusCode.NOT_FOUND,
        PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
        Conflict: grpc.StatusCode.ALREADY_EXISTS,
    }
)
