"""RFC 9457 problem details: the one shape of every error the gateway returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from eqr_platform.logging import request_id_var

PROBLEM_MEDIA_TYPE = "application/problem+json"

_SLUGS: dict[int, str] = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "content-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "too-many-requests",
    500: "internal-error",
    503: "service-unavailable",
}


# RFC 9110 names; Python's HTTPStatus still uses the older RFC 7231 phrases for these.
_TITLES: dict[int, str] = {413: "Content Too Large", 422: "Unprocessable Content"}


def problem_title(status: int) -> str:
    return _TITLES.get(status) or HTTPStatus(status).phrase


def problem_type(status: int) -> str:
    return f"urn:eqr:problem:{_SLUGS.get(status, str(status))}"


class FieldError(BaseModel):
    field: str = Field(description='Where the bad value is: "body.email", "query.limit", "path.user_id" ...')
    message: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details with the request id and the fields at fault."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:eqr:problem:validation-error",
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": "body.email: value is not a valid email address",
                    "instance": "/api/v1/auth/register",
                    "request_id": "5f0c6f2b8e6d4c1f9a3b2d7e4c8a1b0f",
                    "errors": [{"field": "body.email", "message": "value is not a valid email address"}],
                }
            ]
        }
    )

    type: str = Field(description="A URI naming the kind of problem; stable, safe to branch on.")
    title: str = Field(description="The HTTP status phrase.")
    status: int
    detail: str = Field(description="What went wrong with this request, for a person to read.")
    instance: str = Field(description="The path of the request.")
    request_id: str | None = Field(description="Echo of X-Request-ID; quote it when reporting a problem.")
    errors: list[FieldError] = Field(default_factory=list)


class ProblemError(Exception):
    """Raised anywhere in a request to answer with a problem."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.type = problem_type(status)


def problem_response(error: ProblemError, instance: str) -> JSONResponse:
    problem = Problem(
        type=error.type,
        title=problem_title(error.status),
        status=error.status,
        detail=error.detail,
        instance=instance,
        request_id=request_id_var.get(),
        errors=error.errors,
    )
    return JSONResponse(
        problem.model_dump(mode="json"),
        status_code=error.status,
        headers=error.headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def unauthenticated(detail: str, *, invalid_token: bool = False) -> ProblemError:
    """A 401 with the RFC 6750 challenge: ``error="invalid_token"`` when a token was sent."""
    challenge = 'Bearer realm="eqr"'
    if invalid_token:
        description = detail.replace('"', "'")
        challenge += f', error="invalid_token", error_description="{description}"'
    return ProblemError(401, detail, headers={"WWW-Authenticate": challenge})


def invalid_field(field: str, message: str) -> ProblemError:
    return ProblemError(422, f"{field}: {message}", errors=[FieldError(field=field, message=message)])


def validation_problem(errors: Sequence[FieldError]) -> ProblemError:
    if len(errors) == 1:
        detail = f"{errors[0].field}: {errors[0].message}"
    else:
        detail = f"{len(errors)} fields are invalid; see errors."
    return ProblemError(422, detail, errors=errors)
