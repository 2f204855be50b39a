"""``python -m eqr_gateway``: serve the gateway with uvicorn on GATEWAY_HOST:GATEWAY_PORT."""

from __future__ import annotations

import uvicorn

from eqr_gateway.app import create_app
from eqr_gateway.settings import GatewaySettings
from eqr_platform.logging import configure_logging
from eqr_platform.telemetry import configure_tracing


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level)
    configure_tracing("gateway", settings.otel_exporter_otlp_endpoint)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        ws_max_size=settings.ws_max_message_bytes,
    )


if __name__ == "__main__":
    main()
