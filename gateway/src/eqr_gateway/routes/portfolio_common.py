"""What the portfolio routers share: the router itself, field maps, error sets and downloads."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Response
from fastapi.exceptions import RequestValidationError

from eqr_gateway.exact_json import ExactJsonRoute
from eqr_gateway.grpc_calls import FieldMap
from eqr_gateway.openapi import problem_responses
from eqr_gateway.problems import invalid_field

API = "/api/v1"
JSON = "application/json"
READ_ERRORS = problem_responses(401, 404, 422, 429, 503)
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 422, 429, 503)
DELETE_ERRORS = problem_responses(401, 403, 404, 409, 422, 429, 503)

PORTFOLIO_PATH: FieldMap = (("portfolio_id", "path.portfolio_id"),)
PAGE_QUERY: FieldMap = (
    ("page.page_token", "query.cursor"),
    ("page_token", "query.cursor"),
    ("page.page_size", "query.limit"),
    ("page_size", "query.limit"),
)
BODY: FieldMap = (("", "body."),)
QUERY: FieldMap = (("", "query."),)

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def portfolio_router(tag: str) -> APIRouter:
    """A router under /api/v1 whose JSON bodies keep decimals exact."""
    return APIRouter(prefix=API, tags=[tag], route_class=ExactJsonRoute)


def fields(*maps: FieldMap) -> FieldMap:
    """The path's portfolio id first, then ``maps`` in order (first match wins)."""
    return tuple(pair for field_map in (PORTFOLIO_PATH, *maps) for pair in field_map)


def safe_filename(offered: str, fallback: str) -> str:
    """A download name that needs no quoting: letters, digits, ".", "_", "-"."""
    name = _UNSAFE_FILENAME.sub("_", offered).strip("._")[:100]
    return name or fallback


def attachment(content: str, media_type: str, filename: str) -> Response:
    return Response(
        content.encode(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def download_responses(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {media_type: {"schema": {"type": "string"}}}, "description": description},
        **READ_ERRORS,
    }


def json_object_text(raw: bytes) -> str:
    """``raw`` as text, checked to be a JSON object; passed on as sent (numbers keep their text)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid_field("body", "must be UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        # Answered like any other malformed JSON body (a 400, by the problem handlers).
        error = {
            "type": "json_invalid",
            "loc": ("body", exc.pos),
            "msg": "JSON decode error",
            "ctx": {"error": exc.msg},
        }
        raise RequestValidationError([error]) from None
    if not isinstance(document, dict):
        raise invalid_field("body", "must be a JSON object")
    return text
