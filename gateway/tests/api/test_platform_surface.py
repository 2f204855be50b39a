"""Request ids, security headers, CORS, metrics, probes, OpenAPI and the docs page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

Problem = Callable[[httpx.Response, int], dict[str, Any]]


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = (await client.get("/healthz", headers={"X-Request-ID": "bad id\t<>"})).headers["x-request-id"]
    assert len(generated) == 32


async def test_security_headers(client: httpx.AsyncClient) -> None:
    headers = (await client.get("/api/v1/nope")).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in headers


async def test_hsts_and_cors_when_configured(make_gateway: Callable[..., Any]) -> None:
    async with make_gateway(hsts_seconds=31536000, cors_origins=("https://app.example.com",)) as (_, client):
        response = await client.get("/healthz", headers={"Origin": "https://app.example.com"})
        assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert response.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
        preflight = await client.options(
            "/api/v1/auth/register",
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,idempotency-key",
            },
        )
        assert preflight.status_code == 200
        stranger = await client.get("/healthz", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in stranger.headers


async def test_no_cors_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"Origin": "https://app.example.com"})
    assert "access-control-allow-origin" not in response.headers


async def test_metrics_are_per_route_template(client: httpx.AsyncClient, sign_in: Callable[..., Any]) -> None:
    admin = sign_in("admin")
    await client.post(f"/api/v1/admin/users/{admin.user.id}/deactivate", headers=admin.headers)
    await client.get("/definitely/not/here")
    text = (await client.get("/metrics")).text
    assert (
        'gateway_http_requests_total{method="POST",route="/api/v1/admin/users/{user_id}/deactivate",status="200"}'
        in text
    )
    assert 'route="<unmatched>",status="404"' in text
    assert "gateway_http_request_duration_seconds_bucket" in text
    assert admin.user.id not in text


async def test_access_log_never_carries_credentials(
    client: httpx.AsyncClient, sign_in: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    me = sign_in()
    with caplog.at_level(logging.INFO, logger="eqr.gateway.access"):
        await client.get("/api/v1/auth/me?token=secret-in-query", headers=me.headers)
    [record] = [r for r in caplog.records if r.name == "eqr.gateway.access"]
    assert (record.method, record.path, record.status) == ("GET", "/api/v1/auth/me", 200)  # type: ignore[attr-defined]
    assert record.duration_ms >= 0  # type: ignore[attr-defined]
    logged = caplog.text + repr(record.__dict__)
    assert me.token not in logged
    assert "secret-in-query" not in logged


async def test_probes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "checks": {"redis": "ok", "auth": "ok", "market-data": "ok", "portfolio": "ok", "options": "ok"},
    }


async def test_readyz_names_the_failing_dependency(
    make_gateway: Callable[..., Any], problem: Problem
) -> None:
    async with make_gateway(
        redis_url="redis://127.0.0.1:1/0",
        auth_addr="127.0.0.1:1",
        market_data_addr="127.0.0.1:1",
        portfolio_addr="127.0.0.1:1",
        options_addr="127.0.0.1:1",
    ) as (_, client):
        body = problem(await client.get("/readyz"), 503)
        assert {error["field"] for error in body["errors"]} == {
            "redis",
            "auth",
            "market-data",
            "portfolio",
            "options",
        }
        assert body["detail"] == (
            "Not ready: redis is unavailable, auth is unavailable, market-data is unavailable, "
            "portfolio is unavailable, options is unavailable."
        )
        assert (await client.get("/healthz")).status_code == 200


async def test_openapi_document(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert schema["openapi"].startswith("3.1")
    assert schema["info"]["title"] == "Equity Research Platform API"
    assert {"Problem", "FieldError", "LoginRequest", "LoginForm"} <= set(schema["components"]["schemas"])
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert len(operations) == 85
    for operation in operations:
        assert operation["summary"]
        default = operation["responses"]["default"]["content"]
        assert default == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"]
    login = schema["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["content"]
    assert set(login) == {"application/json", "application/x-www-form-urlencoded"}
    assert (
        schema["components"]["securitySchemes"]["bearer"]["flows"]["password"]["tokenUrl"]
        == "/api/v1/auth/login"
    )
    me_params = schema["paths"]["/api/v1/admin/users/{user_id}/role"]["put"]["parameters"]
    assert me_params[0]["schema"]["format"] == "uuid"


async def test_docs_are_served_offline_with_a_strict_csp(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "swagger-ui-bundle.js" in page.text
    assert "<script>" not in page.text  # no inline script
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src" not in csp
    init = await client.get("/docs/init.js")
    assert "/openapi.json" in init.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert (await client.get(f"/docs/assets/{asset}")).status_code == 200
    assert (await client.get("/docs/assets/missing.js")).headers["content-type"] == "application/problem+json"
