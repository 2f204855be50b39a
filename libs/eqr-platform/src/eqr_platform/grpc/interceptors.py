"""The server interceptor every service runs: context, errors, logs and RED metrics.

It wraps each handler so that one place turns domain errors into status codes (through
the service's own ``ErrorTable``), verifies the caller's access token, binds the request id
for logs, and records the call's outcome and duration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeAlias

import grpc
from prometheus_client import Counter, Histogram

from eqr_platform.grpc.context import CallContext, call_context
from eqr_platform.grpc.errors import ServiceError
from eqr_platform.logging import request_id_var
from eqr_platform.tokens import TokenError, TokenVerifier

log = logging.getLogger("eqr.grpc")

RPC_HANDLED = Counter(
    "grpc_server_handled_total", "RPCs completed, by method and status code", ["method", "code"]
)
RPC_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "RPC handling time",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
ErrorFactory: TypeAlias = grpc.StatusCode | Callable[[Exception], ServiceError]


class ErrorTable:
    """One table per service: domain exception type -> status code (or a factory for details)."""

    def __init__(self, table: Mapping[type[Exception], ErrorFactory]) -> None:
        self._table = dict(table)

    def translate(self, exc: Exception) -> ServiceError | None:
        if isinstance(exc, ServiceError):
            return exc
        for cls in type(exc).__mro__:
            entry = self._table.get(cls)
            if entry is None:
                continue
            if isinstance(entry, grpc.StatusCode):
                return ServiceError(entry, str(exc) or entry.name.lower())
            return entry(exc)
        return None


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, errors: ErrorTable, verifier: TokenVerifier | None) -> None:
        self._errors = errors
        self._verifier = verifier

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_streaming:
            return handler
        method = handler_call_details.method
        if method.startswith(("/grpc.health.", "/grpc.reflection.")):
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(method, handler.unary_unary),  # type: ignore[arg-type]
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return grpc.unary_stream_rpc_method_handler(
            self._wrap_stream(method, handler.unary_stream),  # type: ignore[arg-type]
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _wrap_unary(
        self, method: str, behaviour: Callable[[Any, Context], Awaitable[Any]]
    ) -> Callable[[Any, Context], Awaitable[Any]]:
        async def handle(request: Any, context: Context) -> Any:
            started = time.perf_counter()
            try:
                await self._bind_context(context)
                return await behaviour(request, context)
            except Exception as exc:
                await self._abort(method, exc, context)
            finally:
                self._observe(method, context, started)

        return handle

    def _wrap_stream(
        self, method: str, behaviour: Callable[[Any, Context], AsyncIterator[Any]]
    ) -> Callable[[Any, Context], AsyncIterator[Any]]:
        async def handle(request: Any, context: Context) -> AsyncIterator[Any]:
            started = time.perf_counter()
            try:
                await self._bind_context(context)
                async for response in behaviour(request, context):
                    yield response
            except Exception as exc:
                await self._abort(method, exc, context)
            finally:
                self._observe(method, context, started)

        return handle

    async def _bind_context(self, context: Context) -> None:
        metadata = {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
        request_id_var.set(metadata.get("x-request-id"))
        token: str | None = None
        claims = None
        authorization = metadata.get("authorization", "")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token or self._verifier is None:
                raise ServiceError(grpc.StatusCode.UNAUTHENTICATED, "unsupported authorization")
            try:
                claims = await self._verifier.verify(token)
            except TokenError as exc:
                raise ServiceError(grpc.StatusCode.UNAUTHENTICATED, exc.reason) from None
        call_context.set(
            CallContext(
                claims=claims,
                access_token=token,
                client_ip=metadata.get("x-client-ip", ""),
                # gRPC puts its own name in "user-agent"; callers forward the end user's as "x-user-agent".
                user_agent=metadata.get("x-user-agent", "")[:512],
            )
        )

    async def _abort(self, method: str, exc: Exception, context: Context) -> None:
        if isinstance(exc, grpc.aio.AbortError):
            raise exc
        error = self._errors.translate(exc)
        if error is None:
            log.exception("unhandled error in %s", method)
            error = ServiceError(grpc.StatusCode.INTERNAL, "internal error")
        elif error.code == grpc.StatusCode.INTERNAL:
            log.error("internal error in %s: %s", method, error.message)
        await context.abort_with_status(error.to_status())

    @staticmethod
    def _observe(method: str, context: Context, started: float) -> None:
        elapsed = time.perf_counter() - started
        code = context.code() or grpc.StatusCode.OK
        code_name = code.name if isinstance(code, grpc.StatusCode) else str(code)
        RPC_HANDLED.labels(method, code_name).inc()
        RPC_SECONDS.labels(method).observe(elapsed)
        log.info("rpc", extra={"method": method, "code": code_name, "duration_ms": round(elapsed * 1000, 2)})
