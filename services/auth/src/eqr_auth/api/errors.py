"""The one table from auth domain errors to gRPC status codes."""

from __future__ import annotations

import grpc

from eqr_auth.domain.errors import (
    AccountInactive,
    AccountLocked,
    EmailAlreadyRegistered,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    PermissionDenied,
    TokenReuseDetected,
    ValidationFailed,
)
from eqr_platform.grpc.errors import FieldViolation, ServiceError
from eqr_platform.grpc.interceptors import ErrorTable


def _invalid(exc: Exception) -> ServiceError:
    assert isinstance(exc, ValidationFailed)
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        str(exc),
        [FieldViolation(v.field, v.message) for v in exc.violations],
    )


def _locked(exc: Exception) -> ServiceError:
    assert isinstance(exc, AccountLocked)
    return ServiceError(
        grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc), retry_after_seconds=exc.retry_after_seconds
    )


ERRORS = ErrorTable(
    {
        ValidationFailed: _invalid,
        NotFound: grpc.StatusCode.NOT_FOUND,
        EmailAlreadyRegistered: grpc.StatusCode.ALREADY_EXISTS,
        InvalidCredentials: grpc.StatusCode.UNAUTHENTICATED,
        AccountInactive: grpc.StatusCode.UNAUTHENTICATED,
        InvalidToken: grpc.StatusCode.UNAUTHENTICATED,
        TokenReuseDetected: grpc.StatusCode.UNAUTHENTICATED,
        AccountLocked: _locked,
        PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    }
)
