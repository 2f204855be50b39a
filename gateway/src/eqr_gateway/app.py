"""The composition root: ``create_app(settings)`` wires middleware, routes and the lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from eqr_gateway.docs import DOCS_PATH, install_docs
from eqr_gateway.error_handlers import install_problem_handlers
from eqr_gateway.idempotency import REPLAYED_HEADER, IdempotencyMiddleware, install_idempotency
from eqr_gateway.idempotency_store import HEADER as IDEMPOTENCY_HEADER
from eqr_gateway.metrics import MetricsMiddleware, RedMetrics
from eqr_gateway.middleware.access_log import AccessLogMiddleware
from eqr_gateway.middleware.body_limit import BodyLimitMiddleware
from eqr_gateway.middleware.errors import UnhandledErrorMiddleware
from eqr_gateway.middleware.request_id import HEADER as REQUEST_ID_HEADER
from eqr_gateway.middleware.request_id import RequestIdMiddleware
from eqr_gateway.middleware.security_headers import SecurityHeadersMiddleware
from eqr_gateway.openapi import GatewayApp
from eqr_gateway.resources import open_resources
from eqr_gateway.routes import (
    account,
    admin,
    auth,
    health,
    market,
    market_admin,
    options,
    options_strategies,
    portfolio_alerts,
    portfolio_analysis,
    portfolio_holdings,
    portfolio_ledger,
    portfolio_planning,
    portfolio_sharing,
    portfolios,
    stocks,
    well_known,
)
from eqr_gateway.schemas.auth import LoginForm, LoginRequest
from eqr_gateway.schemas.portfolio import PortfolioDocument
from eqr_gateway.settings import GatewaySettings
from eqr_gateway.ws import route as live_route
from eqr_gateway.ws.metrics import LiveMetrics
from eqr_platform.runtime import settle_heap

TITLE = "Equity Research Platform API"
OPENAPI_URL = "/openapi.json"
_UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

DESCRIPTION = """
The one API of the Equity Research Platform: REST under `/api/v1`, JSON in and out.

**Authentication.** Sign in with `POST /api/v1/auth/login` and send the access token as
`Authorization: Bearer <token>` (15 minutes; renew with `POST /api/v1/auth/refresh`).
Scripts can send an API key instead: `X-API-Key: eqr_...`.

**Errors.** Every error is RFC 9457 problem details (`application/problem+json`) with
`type`, `title`, `status`, `detail`, `instance`, `request_id` and `errors[]`, where each
entry names the field at fault (`body.email`, `query.limit`, `path.user_id`).

**Retries.** POSTs that create accept an `Idempotency-Key` header: a retry with the same key
and body returns the first answer (with `Idempotent-Replayed: true`).

**Lists** are cursor-paginated: `{items, next_cursor}`; pass `next_cursor` back as `cursor`.
Short ranked lists (search, news, peers) are `{items}`, bounded by `limit`.

**Market data** says where every value came from (`source`). Symbols are case-insensitive.

**Portfolios.** Money and quantities are exact decimals as JSON strings (`"185.20"`); send
them as strings too (JSON numbers are read from their text). Returns, weights and risk
figures are JSON numbers, as fractions (0.05 = 5%).

**Tracing.** Send `X-Request-ID` (or read the generated one from the response) and quote it
when reporting a problem.
"""

TAGS = [
    {"name": "auth", "description": "Sign-up, sign-in, tokens and passwords."},
    {"name": "account", "description": "The signed-in user's profile and preferences."},
    {"name": "sessions", "description": "The signed-in user's sessions (devices)."},
    {"name": "api-keys", "description": "Keys for scripts and integrations."},
    {"name": "market", "description": "The market as a whole: indices, sectors, movers, breadth, sentiment."},
    {"name": "stocks", "description": "Instruments, quotes, price history, news, fundamentals and peers."},
    {
        "name": "portfolios",
        "description": "Your portfolios, their audit trail, whole-portfolio export and import.",
    },
    {"name": "transactions", "description": "A portfolio's ledger: entries, CSV import and export."},
    {
        "name": "holdings",
        "description": "Holdings valued now or at a past close; buying and selling by holding.",
    },
    {
        "name": "performance",
        "description": "Returns by period, value series, contributions and risk figures.",
    },
    {"name": "sharing", "description": "Sharing a portfolio with other users as viewer or editor."},
    {"name": "planning", "description": "Target-weight templates and rebalancing."},
    {"name": "alerts", "description": "Price, value and drawdown alerts on a portfolio."},
    {
        "name": "options",
        "description": "Option chains and volatility surfaces; pricing, Greeks and implied vols in "
        "batches; strategies with P&L diagrams; your saved strategies.",
    },
    {"name": "admin", "description": "User administration; admins only."},
    {"name": "market-data-admin", "description": "End-of-day imports and data quality; admins only."},
    {"name": "well-known", "description": "Public discovery documents."},
    {"name": "health", "description": "Probes for the orchestrator."},
]


def _lifespan(settings: GatewaySettings) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            app.state.resources = resources
            settle_heap()
            yield

    return lifespan


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in _UNTRACED_PATHS


def _middleware(settings: GatewaySettings, metrics: RedMetrics) -> list[Middleware]:
    """Outermost first: every response, even a 500 or a 413, gets an id, a log line, metrics,
    security and CORS headers."""
    stack = [
        Middleware(RequestIdMiddleware),
        Middleware(AccessLogMiddleware),
        Middleware(MetricsMiddleware, metrics=metrics),
    ]
    if settings.security_headers:
        stack.append(
            Middleware(SecurityHeadersMiddleware, docs_path=DOCS_PATH, hsts_seconds=settings.hsts_seconds)
        )
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "X-API-Key",
                    IDEMPOTENCY_HEADER,
                    REQUEST_ID_HEADER,
                ],
                expose_headers=[REQUEST_ID_HEADER, "Retry-After", REPLAYED_HEADER, "WWW-Authenticate"],
                max_age=600,
            )
        )
    stack += [
        Middleware(UnhandledErrorMiddleware),
        Middleware(
            BodyLimitMiddleware,
            max_bytes=settings.max_body_bytes,
            max_bytes_by_path={
                market_admin.IMPORT_PATH: settings.max_import_bytes,
                portfolios.IMPORT_PATH: settings.max_transaction_import_bytes,
                **dict.fromkeys(options.BATCH_PATHS, settings.max_options_body_bytes),
            },
            max_bytes_by_pattern=[
                (portfolio_ledger.IMPORT_PATH_PATTERN, settings.max_transaction_import_bytes)
            ],
        ),
        Middleware(IdempotencyMiddleware),
    ]
    return stack


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    metrics = RedMetrics(CollectorRegistry())
    app = GatewayApp(
        title=TITLE,
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(settings),
        middleware=_middleware(settings, metrics),
        # One span per request: its trace id reaches every log line and the services. Spans for
        # each dependency, endpoint call and serialisation cost a quarter of the CPU of a cached
        # quote (profiled at 500 requests/s) and told nothing the request span does not.
        telemetry={"metrics": False, "logs": False, "operation_spans": False, "exclude": _untraced},
    )
    app.extra_openapi_models = (LoginRequest, LoginForm, PortfolioDocument)
    app.state.metrics = metrics
    app.state.live_metrics = LiveMetrics(metrics.registry)
    install_problem_handlers(app)
    install_idempotency(app)
    routers = (
        auth.router,
        account.router,
        admin.router,
        market.router,
        stocks.router,
        market_admin.router,
        portfolios.router,
        portfolio_ledger.router,
        portfolio_holdings.router,
        portfolio_analysis.router,
        portfolio_sharing.router,
        portfolio_planning.router,
        portfolio_alerts.router,
        options_strategies.router,
        options.router,
        well_known.router,
        health.router,
        live_route.router,
    )
    for router in routers:
        app.include_router(router)
    install_docs(app, openapi_url=OPENAPI_URL)
    return app
