"""Run one service: gRPC server with health and reflection, metrics, background tasks.

``serve`` returns after SIGTERM/SIGINT, once health has turned NOT_SERVING, in-flight
calls have had the grace period to finish and background tasks have stopped.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor

from eqr_platform.grpc.interceptors import ErrorTable, ServiceInterceptor
from eqr_platform.runtime import settle_heap
from eqr_platform.settings import ServiceSettings
from eqr_platform.telemetry import start_metrics_server
from eqr_platform.tokens import TokenVerifier

log = logging.getLogger("eqr.grpc")

MAX_MESSAGE_BYTES = 32 * 1024 * 1024
"""Above gRPC's 4 MiB default: end-of-day files up to the gateway's 20 MiB import limit."""

BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Servicer:
    """A servicer and the generated ``add_<Name>Servicer_to_server`` that mounts it."""

    add_to_server: Callable[[Any, grpc.aio.Server], None]
    implementation: object
    full_name: str


async def serve(
    settings: ServiceSettings,
    servicers: Sequence[Servicer],
    *,
    errors: ErrorTable,
    verifier: TokenVerifier | None,
    background: Sequence[BackgroundTask] = (),
    stop: asyncio.Event | None = None,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
) -> None:
    """``max_message_bytes`` bounds the requests the server accepts and the replies it sends."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    tracing = aio_server_interceptor()  # type: ignore[no-untyped-call]
    server = grpc.aio.server(
        interceptors=[tracing, ServiceInterceptor(errors, verifier)],
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ],
    )
    for servicer in servicers:
        servicer.add_to_server(servicer.implementation, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [s.full_name for s in servicers]
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    server.add_insecure_port(f"[::]:{settings.grpc_port}")

    if settings.http_port:
        start_metrics_server(settings.http_port)
    tasks = [
        asyncio.create_task(task(stop), name=getattr(task, "__qualname__", "task")) for task in background
    ]
    await server.start()
    settle_heap()
    for name in ["", *names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("serving", extra={"grpc_port": settings.grpc_port, "metrics_port": settings.http_port})

    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait([stopped, *tasks], return_when=asyncio.FIRST_COMPLETED)
    failed = [t for t in tasks if t.done() and not t.cancelled() and t.exception() is not None]
    for task in failed:
        log.error("background task %s failed", task.get_name(), exc_info=task.exception())
    stop.set()

    log.info("shutting down")
    await health_servicer.enter_graceful_shutdown()
    await server.stop(settings.shutdown_grace_seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if failed:
        raise RuntimeError(f"background task {failed[0].get_name()} failed") from failed[0].exception()
