"""A service's real composition root, run in the test's event loop, for service tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import grpc

from eqr_platform.grpc import create_channel

ServiceRun = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@asynccontextmanager
async def service_in_process(
    run: ServiceRun, grpc_port: int, *, startup_timeout: float = 120.0
) -> AsyncIterator[grpc.aio.Channel]:
    """Starts ``run(stop)`` (a service's ``bootstrap.run``), yields a channel to it once its
    gRPC port answers, and stops it gracefully. A start-up failure is raised as it is."""
    stop = asyncio.Event()
    service = asyncio.create_task(run(stop))
    channel = create_channel(f"127.0.0.1:{grpc_port}", default_deadline=30)
    ready = asyncio.ensure_future(channel.channel_ready())
    try:
        done, _ = await asyncio.wait(
            [ready, service], timeout=startup_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if service in done:
            service.result()
        if ready not in done:
            raise TimeoutError(f"the service did not answer on port {grpc_port} in {startup_timeout:.0f} s")
        yield channel
    finally:
        ready.cancel()
        await channel.close()
        stop.set()
        await asyncio.wait_for(service, 30)
