"""Prometheus figures of the live sockets, on the gateway's /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class LiveMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sockets = Gauge("gateway_ws_sockets", "WebSocket connections open.", registry=registry)
        self.frames = Counter(
            "gateway_ws_frames_sent_total", "Frames sent to WebSocket clients.", registry=registry
        )
