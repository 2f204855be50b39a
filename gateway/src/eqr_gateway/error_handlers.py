"""Every exception a request can raise, answered as a problem (the catch-all is middleware)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException

from eqr_gateway.grpc_calls import problem_from_rpc_error
from eqr_gateway.problems import FieldError, ProblemError, problem_response, validation_problem

log = logging.getLogger("eqr.gateway.errors")


def field_name(loc: Sequence[Any]) -> str:
    """``("body", "watchlist", 3)`` -> ``"body.watchlist[3]"``."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def field_errors(errors: Iterable[Mapping[str, Any]], prefix: Sequence[str] = ()) -> list[FieldError]:
    return [FieldError(field=field_name([*prefix, *error["loc"]]), message=error["msg"]) for error in errors]


def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    malformed = next((error for error in errors if error.get("type") == "json_invalid"), None)
    if malformed is not None:
        reason = malformed.get("ctx", {}).get("error", "invalid JSON")
        position = malformed["loc"][-1] if len(malformed["loc"]) > 1 else 0
        message = f"The body is not valid JSON: {reason} (character {position})."
        problem = ProblemError(400, message, errors=[FieldError(field="body", message=message)])
        return problem_response(problem, request.url.path)
    return problem_response(validation_problem(field_errors(errors)), request.url.path)


def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    phrase = HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = f"There is nothing at {request.url.path}."
    elif exc.status_code == 405:
        allowed = headers.get("Allow") or headers.get("allow") or ""
        detail = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}."
    elif exc.detail and exc.detail != phrase:
        detail = str(exc.detail)
    else:
        detail = phrase
    return problem_response(ProblemError(exc.status_code, detail, headers=headers), request.url.path)


def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(exc, request.url.path)


def _redis_error(request: Request, exc: Exception) -> Response:
    log.warning("redis unavailable", extra={"error": repr(exc)})
    return problem_response(
        ProblemError(503, "A backing store is unavailable; try again shortly."), request.url.path
    )


def _rpc_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, grpc.aio.AioRpcError)
    return problem_response(problem_from_rpc_error(exc, service="upstream"), request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(RedisError, _redis_error)
    app.add_exception_handler(grpc.aio.AioRpcError, _rpc_error)
