"""The one table from market-data domain errors to gRPC status codes."""

from __future__ import annotations

import grpc

from eqr_market_data.domain.errors import InvalidRequest, SourceUnavailable, UnknownSymbol
from eqr_platform.grpc.errors import ServiceError, invalid_argument
from eqr_platform.grpc.interceptors import ErrorTable


def _invalid(exc: Exception) -> ServiceError:
    assert isinstance(exc, InvalidRequest)
    return invalid_argument(exc.field, exc.message)


ERRORS = ErrorTable(
    {
        UnknownSymbol: grpc.StatusCode.NOT_FOUND,
        InvalidRequest: _invalid,
        SourceUnavailable: grpc.StatusCode.UNAVAILABLE,
    }
)
