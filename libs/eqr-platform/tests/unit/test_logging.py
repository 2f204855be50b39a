from __future__ import annotations

import json
import logging

from eqr_platform.logging import JsonFormatter, request_id_var


def _format(record: logging.LogRecord) -> dict[str, object]:
    result: dict[str, object] = json.loads(JsonFormatter("auth").format(record))
    return result


def test_one_json_object_per_event_with_request_id_and_extras() -> None:
    token = request_id_var.set("req-1")
    try:
        record = logging.LogRecord("eqr.test", logging.INFO, __file__, 1, "hello %s", ("world",), None)
        record.method = "/eqr.auth.v1.AuthService/GetJwks"
        entry = _format(record)
    finally:
        request_id_var.reset(token)
    assert entry["message"] == "hello world"
    assert entry["service"] == "auth"
    assert entry["level"] == "info"
    assert entry["request_id"] == "req-1"
    assert entry["method"] == "/eqr.auth.v1.AuthService/GetJwks"
    assert "trace_id" not in entry


def test_multiline_messages_stay_on_one_line() -> None:
    record = logging.LogRecord("eqr.test", logging.ERROR, __file__, 1, "line1\nline2", (), None)
    assert "\n" not in JsonFormatter("auth").format(record)
