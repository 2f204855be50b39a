"""NATS JetStream: streams declared in code, traced publishes, durable pull consumers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

log = logging.getLogger("eqr.bus")
tracer = trace.get_tracer("eqr.bus")


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: list[str]
    max_age_seconds: float | None = None
    max_msgs_per_subject: int = -1
    duplicate_window_seconds: float = 120.0
    retention: RetentionPolicy = RetentionPolicy.LIMITS

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=self.subjects,
            retention=self.retention,
            storage=StorageType.FILE,
            max_age=self.max_age_seconds,
            max_msgs_per_subject=self.max_msgs_per_subject,
            duplicate_window=self.duplicate_window_seconds,
        )


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer. Processes sharing its name share its messages, each going to one
    of them: right for work whose result lands in shared storage (a database, Redis)."""

    stream: str
    durable: str
    filter_subject: str
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL
    ack_wait_seconds: float = 30.0
    max_deliver: int = 20
    inactive_threshold_seconds: float | None = None
    """How long the server keeps the consumer once nobody pulls from it; None keeps it for good."""

    def for_instance(self, instance: str, *, forget_after_seconds: float = 600.0) -> ConsumerSpec:
        """This consumer for one process only, which then sees every message.

        For state kept in process memory (latest prices, cached books): a shared consumer would
        give each replica only part of the stream. The server drops the consumer once the
        process has been gone for ``forget_after_seconds``; a reconnect within that keeps its place.
        """
        return replace(
            self, durable=f"{self.durable}--{instance}", inactive_threshold_seconds=forget_after_seconds
        )


async def connect(url: str, *, name: str) -> tuple[Client, JetStreamContext]:
    async def on_error(exc: Exception) -> None:
        log.warning("nats error: %s", exc)

    client = await nats.connect(url, name=name, max_reconnect_attempts=-1, error_cb=on_error)
    return client, client.jetstream()


async def ensure_streams(js: JetStreamContext, specs: Sequence[StreamSpec]) -> None:
    """Create each stream, or bring an existing one's config in line with the code."""
    for spec in specs:
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(spec.config())
        else:
            await js.update_stream(spec.config())


def trace_headers() -> dict[str, str]:
    """The current trace context as message headers (W3C traceparent)."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


async def publish(
    js: JetStreamContext,
    subject: str,
    payload: bytes,
    *,
    msg_id: str,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Publish with ``Nats-Msg-Id`` (JetStream drops duplicates) and a trace context.

    ``headers`` carries a trace context captured earlier (the outbox stores the one of the
    request that wrote the event); without it, the current context is used.
    """
    parent = _trace_parent(headers) if headers else None
    with tracer.start_as_current_span(f"publish {subject}", context=parent, kind=trace.SpanKind.PRODUCER):
        await js.publish(subject, payload, headers={**trace_headers(), "Nats-Msg-Id": msg_id})


def _trace_parent(headers: Mapping[str, str] | None) -> otel_context.Context:
    return propagate.extract(dict(headers or {}))


async def consume(
    js: JetStreamContext,
    spec: ConsumerSpec,
    handle: Callable[[Msg], Awaitable[None]],
    *,
    stop: asyncio.Event,
    batch: int = 64,
    on_subscribed: Callable[[], None] | None = None,
) -> None:
    """Durable pull consumer: ack after ``handle`` returns, nak with backoff when it raises.

    ``on_subscribed`` runs once the consumer exists (created or found again): a consumer that
    starts from new messages only (``DeliverPolicy.NEW``) has missed whatever came before, and
    this is where its owner makes up for it."""
    subscription = await js.pull_subscribe(
        spec.filter_subject,
        durable=spec.durable,
        stream=spec.stream,
        config=ConsumerConfig(
            deliver_policy=spec.deliver_policy,
            ack_wait=spec.ack_wait_seconds,
            max_deliver=spec.max_deliver,
            inactive_threshold=spec.inactive_threshold_seconds,
        ),
    )
    if on_subscribed is not None:
        on_subscribed()
    while not stop.is_set():
        try:
            messages = await subscription.fetch(batch, timeout=1.0)
        except TimeoutError:  # nats' own TimeoutError and asyncio's (fetch raises either)
            continue
        for message in messages:
            with tracer.start_as_current_span(
                f"consume {message.subject}",
                context=_trace_parent(message.headers),
                kind=trace.SpanKind.CONSUMER,
            ):
                try:
                    await handle(message)
                except Exception:
                    attempt = message.metadata.num_delivered if message.metadata else 1
                    log.exception("handler failed", extra={"subject": message.subject, "attempt": attempt})
                    await message.nak(delay=min(30.0, 0.5 * 2 ** min(attempt, 6)))
                else:
                    await message.ack()
    await subscription.unsubscribe()


_RETRY_MIN_SECONDS = 0.5
_RETRY_MAX_SECONDS = 30.0


async def consume_until_stopped(
    js: JetStreamContext,
    spec: ConsumerSpec,
    handle: Callable[[Msg], Awaitable[None]],
    *,
    stop: asyncio.Event,
    on_subscribed: Callable[[], None] | None = None,
) -> None:
    """``consume``, subscribed again whenever it fails: half a second after a hiccup in a consumer
    that had been running, a pause growing to 30 s while the stream (another service's, not
    declared yet) or the server stays unreachable. Never fatal to the process."""
    delay = _RETRY_MIN_SECONDS
    while not stop.is_set():
        started = time.monotonic()
        try:
            await consume(js, spec, handle, stop=stop, on_subscribed=on_subscribed)
        except Exception as exc:
            if time.monotonic() - started > _RETRY_MAX_SECONDS:
                delay = _RETRY_MIN_SECONDS
            log.warning("%s interrupted; retrying", spec.durable, extra={"error": repr(exc)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, _RETRY_MAX_SECONDS)
