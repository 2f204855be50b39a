"""Prometheus metrics and OpenTelemetry tracing for every process."""

from __future__ import annotations

import prometheus_client
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def configure_tracing(service_name: str, otlp_endpoint: str | None) -> None:
    """Install a tracer provider; spans are exported over OTLP only when an endpoint is set.

    Without an endpoint, spans still carry ids, so logs and propagated headers correlate.
    """
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    trace.set_tracer_provider(provider)


def start_metrics_server(port: int) -> None:
    """Serve the default Prometheus registry at http://0.0.0.0:<port>/metrics (own thread)."""
    prometheus_client.start_http_server(port)
