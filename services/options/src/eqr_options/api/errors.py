"""The one table from options errors to gRPC status codes."""

from __future__ import annotations

import grpc

from eqr_options.app.errors import NotFound
from eqr_options.domain.errors import ValidationFailed
from eqr_platform.grpc.errors import FieldViolation, ServiceError
from eqr_platform.grpc.interceptors import ErrorTable


def _invalid(exc: Exception) -> ServiceError:
    assert isinstance(exc, ValidationFailed)
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        str(exc),
        [FieldViolation(v.field, v.message) for v in exc.violations],
    )


ERRORS = ErrorTable({ValidationFailed: _invalid, NotFound: grpc.StatusCode.NOT_FOUND})
