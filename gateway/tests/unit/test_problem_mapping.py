"""gRPC status -> problem: the table, field violations, Retry-After, no internals on 5xx."""

from __future__ import annotations

import grpc
import pytest
from starlette.requests import Request

from eqr_gateway.error_handlers import field_name
from eqr_gateway.grpc_calls import outgoing_metadata, problem_from_rpc_error, rest_field
from eqr_platform.grpc import FieldViolation, ServiceError


def rpc_error(
    code: grpc.StatusCode,
    message: str,
    *,
    violations: list[FieldViolation] | None = None,
    retry_after_seconds: int | None = None,
    trailers: tuple[tuple[str, str], ...] = (),
) -> grpc.aio.AioRpcError:
    status = ServiceError(code, message, violations or [], retry_after_seconds).to_status()
    return grpc.aio.AioRpcError(
        code, grpc.aio.Metadata(), grpc.aio.Metadata(*status.trailing_metadata, *trailers), details=message
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 422),
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.UNAUTHENTICATED, 401),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
        (grpc.StatusCode.FAILED_PRECONDITION, 409),
        (grpc.StatusCode.ABORTED, 409),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 503),
        (grpc.StatusCode.INTERNAL, 500),
        (grpc.StatusCode.UNKNOWN, 500),
        (grpc.StatusCode.UNIMPLEMENTED, 500),
        (grpc.StatusCode.DATA_LOSS, 500),
    ],
)
def test_status_codes_map_to_http(code: grpc.StatusCode, status: int) -> None:
    assert problem_from_rpc_error(rpc_error(code, "boom"), service="auth").status == status


def test_client_errors_keep_the_service_message() -> None:
    problem = problem_from_rpc_error(rpc_error(grpc.StatusCode.NOT_FOUND, "no such user"), service="auth")
    assert problem.detail == "no such user"


def test_server_errors_hide_internals() -> None:
    error = rpc_error(grpc.StatusCode.INTERNAL, "psycopg: password=hunter2 at db:5432")
    problem = problem_from_rpc_error(error, service="auth")
    assert "hunter2" not in problem.detail
    assert problem.errors == []


def test_unavailable_names_the_service_only() -> None:
    error = rpc_error(grpc.StatusCode.UNAVAILABLE, "connect failed 10.0.0.7:50051")
    problem = problem_from_rpc_error(error, service="auth")
    assert problem.detail == "The auth service is unavailable; try again shortly."


def test_invalid_argument_names_the_rest_fields() -> None:
    error = rpc_error(
        grpc.StatusCode.INVALID_ARGUMENT,
        "bad input",
        violations=[FieldViolation("email", "already taken"), FieldViolation("user_id", "not a user")],
    )
    problem = problem_from_rpc_error(
        error, service="auth", field_map=(("user_id", "path.user_id"), ("", "body."))
    )
    assert [(e.field, e.message) for e in problem.errors] == [
        ("body.email", "already taken"),
        ("path.user_id", "not a user"),
    ]


def test_resource_exhausted_carries_retry_after_from_retry_info() -> None:
    error = rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down", retry_after_seconds=12)
    assert problem_from_rpc_error(error, service="auth").headers["Retry-After"] == "12"


def test_resource_exhausted_carries_retry_after_from_metadata() -> None:
    error = rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down", trailers=(("retry-after", "7"),))
    assert problem_from_rpc_error(error, service="auth").headers["Retry-After"] == "7"


def test_resource_exhausted_without_hint_has_no_retry_after() -> None:
    error = rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down")
    assert "Retry-After" not in problem_from_rpc_error(error, service="auth").headers


def test_unauthenticated_challenges_for_a_bearer_token() -> None:
    problem = problem_from_rpc_error(
        rpc_error(grpc.StatusCode.UNAUTHENTICATED, "bad password"), service="auth"
    )
    assert problem.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("proto_field", "expected"),
    [("email", "body.email"), ("preferences.theme", "body.theme"), ("page.page_token", "query.cursor")],
)
def test_rest_field(proto_field: str, expected: str) -> None:
    field_map = (("preferences.", "body."), ("page.page_token", "query.cursor"), ("", "body."))
    assert rest_field(proto_field, field_map) == expected


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("body", "email"), "body.email"),
        (("body", "watchlist", 3), "body.watchlist[3]"),
        (("path", "user_id"), "path.user_id"),
        (("header", "Idempotency-Key"), "header.Idempotency-Key"),
        (("body",), "body"),
        ((), "body"),
    ],
)
def test_field_name(loc: tuple[str | int, ...], expected: str) -> None:
    assert field_name(loc) == expected


def _request(headers: list[tuple[bytes, bytes]]) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": headers,
        "client": ("198.51.100.4", 1234),
    }
    return Request(scope)


def test_outgoing_metadata_forwards_long_tokens_intact() -> None:
    token = "eyJ" + "a" * 3000 + ".b.c"
    metadata = dict(outgoing_metadata(_request([(b"user-agent", b"Mozilla/5.0")]), token))
    assert metadata["authorization"] == f"Bearer {token}"
    assert metadata["x-client-ip"] == "198.51.100.4"
    assert metadata["x-user-agent"] == "Mozilla/5.0"


def test_outgoing_metadata_bounds_and_cleans_the_user_agent() -> None:
    user_agent = "Agent\u00e9\x07" + "x" * 2000
    metadata = dict(outgoing_metadata(_request([(b"user-agent", user_agent.encode())]), None))
    assert "authorization" not in metadata
    assert metadata["x-user-agent"] == ("Agent" + "x" * 2000)[:512]
