"""Probes (/healthz, /readyz) and Prometheus metrics (/metrics)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from fastapi import APIRouter, Request, Response
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eqr_gateway.metrics import RedMetrics
from eqr_gateway.openapi import problem_responses
from eqr_gateway.problems import FieldError, ProblemError
from eqr_gateway.resources import Resources, get_resources
from eqr_gateway.schemas.health import Liveness, Readiness

router = APIRouter(tags=["health"])

_CHECK_TIMEOUT_SECONDS = 2.0


@router.get("/healthz", summary="Liveness: the process is serving")
async def healthz() -> Liveness:
    return Liveness()


async def _check_redis(resources: Resources) -> None:
    await asyncio.wait_for(resources.redis.ping(), timeout=_CHECK_TIMEOUT_SECONDS)


async def _check_serving(channel: grpc.aio.Channel) -> None:
    stub: Any = health_pb2_grpc.HealthStub(channel)
    reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=_CHECK_TIMEOUT_SECONDS)
    if reply.status != health_pb2.HealthCheckResponse.SERVING:
        raise RuntimeError("not serving")


@router.get(
    "/readyz",
    summary="Readiness: Redis, the auth, market-data, portfolio and options services answer",
    responses=problem_responses(503),
)
async def readyz(request: Request) -> Readiness:
    resources = get_resources(request)
    names = ("redis", "auth", "market-data", "portfolio", "options")
    outcomes = await asyncio.gather(
        _check_redis(resources),
        _check_serving(resources.auth_channel),
        _check_serving(resources.market_data_channel),
        _check_serving(resources.portfolio_channel),
        _check_serving(resources.options_channel),
        return_exceptions=True,
    )
    failing = [
        FieldError(field=name, message=f"unavailable ({type(outcome).__name__})")
        for name, outcome in zip(names, outcomes, strict=True)
        if isinstance(outcome, BaseException)
    ]
    if failing:
        detail = "Not ready: " + ", ".join(f"{error.field} is unavailable" for error in failing) + "."
        raise ProblemError(503, detail, errors=failing)
    return Readiness(checks=dict.fromkeys(names, "ok"))


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    red_metrics: RedMetrics = request.app.state.metrics
    return red_metrics.render()
