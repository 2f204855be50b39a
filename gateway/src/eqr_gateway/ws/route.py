"""``/api/v1/ws``: the live socket (protocol: docs/websocket.md)."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, WebSocket

from eqr_gateway.resources import Resources
from eqr_gateway.ws.metrics import LiveMetrics
from eqr_gateway.ws.session import Limits, LiveSession

PATH = "/api/v1/ws"
router = APIRouter()


@router.websocket(PATH)
async def live(websocket: WebSocket) -> None:
    resources = cast(Resources, websocket.app.state.resources)
    settings = resources.settings
    limits = Limits(
        auth_timeout_seconds=settings.ws_auth_timeout_seconds,
        heartbeat_seconds=settings.ws_heartbeat_seconds,
        idle_timeout_seconds=settings.ws_idle_timeout_seconds,
        max_subscriptions=settings.ws_max_subscriptions,
        max_message_bytes=settings.ws_max_message_bytes,
        messages_per_second=settings.ws_messages_per_second,
        message_burst=settings.ws_message_burst,
    )
    metrics = cast(LiveMetrics, websocket.app.state.live_metrics)
    await LiveSession(websocket, resources, resources.hub, limits, metrics).run()
