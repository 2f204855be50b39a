"""The services' live events -> the frames sockets receive, and the subjects they travel on.

Payloads are the REST documents of the same things (a ``quote_update`` carries what
``GET /stocks/{symbol}/quote`` returns), so the dashboard parses one shape.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from google.protobuf.message import DecodeError

from eqr.auth.v1 import events_pb2 as auth_events
from eqr.market_data.v1 import events_pb2 as market_events
from eqr.market_data.v1 import market_data_service_pb2 as market_pb
from eqr.portfolio.v1 import events_pb2 as portfolio_events
from eqr.portfolio.v1 import resources_pb2 as portfolio_resources
from eqr_gateway.convert_market import market_moves_doc, quote_json
from eqr_gateway.convert_portfolio import trigger_doc
from eqr_gateway.convert_portfolio_figures import valuation_doc
from eqr_gateway.ws.protocol import MARKET_KEY, frame

log = logging.getLogger("eqr.gateway.ws.events")

MARKET_SUBJECT = "eqr.market-data.market.updated"
ALERTS_SUBJECT = "eqr.portfolio.alert.triggered.*"
SHARE_REVOKED_SUBJECT = "eqr.portfolio.share.revoked.*"
PORTFOLIO_DELETED_SUBJECT = "eqr.portfolio.portfolio.deleted.*"
SESSION_REVOKED_SUBJECT = "eqr.auth.session.revoked"


def quote_subject(symbol: str) -> str:
    # NATS tokens cannot hold "."; market-data publishes "BRK.B" as "BRK_B".
    return f"eqr.market-data.quote.updated.{symbol.replace('.', '_')}"


def portfolio_subject(portfolio_id: str) -> str:
    return f"eqr.portfolio.portfolio.updated.{portfolio_id}"


def quote_frame(quote_document: bytes) -> str:
    """A ``quote_update`` around a quote already rendered as REST JSON (as the quote cache holds it)."""
    return '{"type":"quote_update","data":' + quote_document.decode() + "}"


def render_quote(payload: bytes) -> tuple[str, str] | None:
    try:
        quote = market_events.QuoteUpdated.FromString(payload).quote
    except DecodeError:
        _undecodable("quote")
        return None
    return quote.symbol, quote_frame(quote_json(quote))


def market_frame(overview: market_pb.GetMarketOverviewResponse | market_events.MarketUpdated) -> str:
    return frame("market_update", market_moves_doc(overview))


def render_market(payload: bytes) -> tuple[str, str] | None:
    try:
        return MARKET_KEY, market_frame(market_events.MarketUpdated.FromString(payload))
    except DecodeError:
        _undecodable("market")
        return None


def portfolio_frame(valuation: portfolio_resources.Valuation) -> str:
    return frame("portfolio_update", valuation_doc(valuation, include_lots=False))


def render_portfolio(payload: bytes) -> tuple[str, str] | None:
    try:
        event = portfolio_events.PortfolioValued.FromString(payload)
    except DecodeError:
        _undecodable("portfolio value")
        return None
    return event.portfolio_id, portfolio_frame(event.valuation)


@dataclass(frozen=True)
class AlertDelivery:
    key: str
    frame: str
    recipient_ids: tuple[str, ...]


def alert_delivery(payload: bytes) -> AlertDelivery | None:
    try:
        event = portfolio_events.AlertTriggered.FromString(payload)
    except DecodeError:
        _undecodable("alert")
        return None
    return AlertDelivery(
        key=f"alert:{event.trigger.id}",
        frame=frame("alert_triggered", trigger_doc(event.trigger)),
        recipient_ids=tuple(event.recipient_ids),
    )


def revoked_share(payload: bytes) -> tuple[str, str] | None:
    """(portfolio id, user id) of a revoked share."""
    try:
        event = portfolio_events.ShareChanged.FromString(payload)
    except DecodeError:
        _undecodable("share revocation")
        return None
    return event.portfolio_id, event.user_id


def deleted_portfolio(payload: bytes) -> str | None:
    try:
        return portfolio_events.PortfolioDeleted.FromString(payload).portfolio_id or None
    except DecodeError:
        _undecodable("portfolio deletion")
        return None


def ended_session(payload: bytes) -> str | None:
    try:
        return auth_events.SessionRevoked.FromString(payload).session_id or None
    except DecodeError:
        _undecodable("session revocation")
        return None


def _undecodable(what: str) -> None:
    log.error("dropping an undecodable live event", extra={"event": what})
