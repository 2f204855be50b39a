"""OpenAPI 3.1 finishing: problem+json error responses, a default error on every operation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from eqr_gateway.problems import PROBLEM_MEDIA_TYPE, FieldError, Problem

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_REF_TEMPLATE = "#/components/schemas/{model}"

_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: invalid JSON, a bad header.",
    401: "Missing, invalid, expired or revoked credentials.",
    403: "Authenticated, but not allowed to do this.",
    404: "No such resource.",
    409: "Conflicts with the current state, or the same Idempotency-Key is still being processed.",
    413: "The request body is larger than allowed.",
    415: "The body's media type is not accepted here.",
    422: "Invalid input; `errors` names each field at fault.",
    429: "Too many requests; wait for `Retry-After` seconds.",
    503: "A service the gateway needs is unavailable; retry shortly.",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses, all problem details."""
    return {status: {"model": Problem, "description": _DESCRIPTIONS[status]} for status in statuses}


def _as_problem_json(response: dict[str, Any]) -> None:
    content = response.get("content", {})
    if content.get("application/json", {}).get("schema") == _PROBLEM_REF:
        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")


def _add_schemas(schema: dict[str, Any], models: Sequence[type[BaseModel]]) -> None:
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        model_schema = model.model_json_schema(ref_template=_REF_TEMPLATE)
        schemas.update(model_schema.pop("$defs", {}))
        schemas[model.__name__] = model_schema


def finish_openapi(schema: dict[str, Any], extra_models: Sequence[type[BaseModel]]) -> dict[str, Any]:
    _add_schemas(schema, [Problem, FieldError, *extra_models])
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for response in responses.values():
                _as_problem_json(response)
            responses.setdefault(
                "default",
                {
                    "description": "Any other error, as RFC 9457 problem details.",
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}},
                },
            )
    return schema


class GatewayApp(FastAPI):
    """FastAPI whose OpenAPI document is finished by ``finish_openapi``."""

    extra_openapi_models: Sequence[type[BaseModel]] = ()

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = finish_openapi(super().openapi(), self.extra_openapi_models)
        return self.openapi_schema
