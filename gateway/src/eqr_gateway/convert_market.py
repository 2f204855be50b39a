"""Market-data protobuf -> REST documents, every field mapped by name.

Documents are plain dicts: the routes return them for FastAPI to validate against the models
in ``schemas.market``, except on the hot paths (quotes, history), whose JSON is rendered here
with orjson and sent as bytes; a quote's JSON is also what the quote cache stores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson

from eqr.common.v1 import date_pb2
from eqr.market_data.v1 import events_pb2, resources_pb2
from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr_gateway.convert import optional_time, required_time
from eqr_gateway.schemas.market import AssetClass, ImportFormat, Interval, Period

Document = dict[str, Any]

INTERVAL_TO_PB: dict[Interval, resources_pb2.Interval.ValueType] = {
    "1m": resources_pb2.INTERVAL_1M,
    "5m": resources_pb2.INTERVAL_5M,
    "15m": resources_pb2.INTERVAL_15M,
    "1h": resources_pb2.INTERVAL_1H,
    "1d": resources_pb2.INTERVAL_1D,
    "1wk": resources_pb2.INTERVAL_1WK,
    "1mo": resources_pb2.INTERVAL_1MO,
}
INTERVAL_FROM_PB: dict[resources_pb2.Interval.ValueType, Interval] = {
    value: name for name, value in INTERVAL_TO_PB.items()
}
_ASSET_CLASSES: dict[resources_pb2.AssetClass.ValueType, AssetClass] = {
    resources_pb2.ASSET_CLASS_EQUITY: "equity",
    resources_pb2.ASSET_CLASS_INDEX: "index",
    resources_pb2.ASSET_CLASS_ETF: "etf",
}
FINANCIAL_FIGURES = (
    "revenue",
    "cost_of_revenue",
    "gross_profit",
    "operating_expenses",
    "operating_income",
    "interest_expense",
    "pretax_income",
    "income_tax",
    "net_income",
    "eps_diluted",
    "depreciation_amortization",
    "ebitda",
    "cash_and_equivalents",
    "total_current_assets",
    "total_assets",
    "total_current_liabilities",
    "total_debt",
    "total_liabilities",
    "shareholders_equity",
    "shares_outstanding",
    "operating_cash_flow",
    "capital_expenditure",
    "free_cash_flow",
    "dividends_paid",
)
# Timestamps as "2025-03-14T15:42:07Z", the same text pydantic writes for the other routes.
_JSON_OPTIONS = orjson.OPT_UTC_Z


def _text_or_none(value: str) -> str | None:
    return value or None


def _positive_or_none(value: float) -> float | None:
    return value if value > 0 else None


def _figure(value: float) -> float | None:
    return None if math.isnan(value) else value


def _date(value: date_pb2.Date) -> date | None:
    return date(value.year, value.month, value.day) if value.year else None


def instrument_doc(instrument: resources_pb2.Instrument) -> Document:
    return {
        "symbol": instrument.symbol,
        "name": instrument.name,
        "exchange": instrument.exchange,
        "currency": instrument.currency,
        "asset_class": _ASSET_CLASSES.get(instrument.asset_class, "unspecified"),
        "sector": _text_or_none(instrument.sector),
        "industry": _text_or_none(instrument.industry),
        "country": _text_or_none(instrument.country),
        "shares_outstanding": instrument.shares_outstanding or None,
        "market_cap": _positive_or_none(instrument.market_cap),
        "source": instrument.source,
    }


def quote_doc(quote: resources_pb2.Quote) -> Document:
    return {
        "symbol": quote.symbol,
        "price": quote.price,
        "open": quote.open,
        "high": quote.high,
        "low": quote.low,
        "previous_close": quote.previous_close,
        "change": quote.change,
        "change_percent": quote.change_percent,
        "volume": quote.volume,
        "bid": _positive_or_none(quote.bid),
        "ask": _positive_or_none(quote.ask),
        "timestamp": required_time(quote, "timestamp"),
        "source": quote.source,
        "stale": quote.stale,
    }


def quote_json(quote: resources_pb2.Quote) -> bytes:
    return orjson.dumps(quote_doc(quote), option=_JSON_OPTIONS)


def quote_batch_json(quotes: Sequence[bytes], unknown_symbols: Sequence[str]) -> bytes:
    """A QuoteBatch from quotes already rendered (as the cache holds them)."""
    return b"".join(
        (b'{"quotes":[', b",".join(quotes), b'],"unknown_symbols":', orjson.dumps(unknown_symbols), b"}")
    )


def stock_detail_json(instrument: resources_pb2.Instrument, quote: bytes | None) -> bytes:
    return b"".join(
        (
            b'{"instrument":',
            orjson.dumps(instrument_doc(instrument)),
            b',"quote":',
            quote or b"null",
            b"}",
        )
    )


def history_json(response: pb.GetHistoryResponse, interval: Interval) -> bytes:
    """Ten years of daily bars are ~2,600 of these: built without models, in one pass."""
    at = datetime.fromtimestamp
    bars = [
        {
            "t": at(bar.start.seconds, UTC),
            "o": bar.open,
            "h": bar.high,
            "l": bar.low,
            "c": bar.close,
            "v": bar.volume,
        }
        for bar in response.bars
    ]
    document = {
        "symbol": response.symbol,
        "interval": INTERVAL_FROM_PB.get(response.interval, interval),
        "adjusted": response.adjusted,
        "source": response.source,
        "bars": bars,
    }
    return orjson.dumps(document, option=_JSON_OPTIONS)


def mover_doc(mover: resources_pb2.MarketMover) -> Document:
    return {"instrument": instrument_doc(mover.instrument), "quote": quote_doc(mover.quote)}


def movers_doc(movers: Sequence[resources_pb2.MarketMover]) -> list[Document]:
    return [mover_doc(mover) for mover in movers]


def breadth_doc(breadth: resources_pb2.Breadth) -> Document:
    return {
        "advancers": breadth.advancers,
        "decliners": breadth.decliners,
        "unchanged": breadth.unchanged,
        "new_highs": breadth.new_highs,
        "new_lows": breadth.new_lows,
    }


def market_moves_doc(moves: pb.GetMarketOverviewResponse | events_pb2.MarketUpdated) -> Document:
    """Indices, sectors, movers and breadth: the overview's body, and the live ``market_update``."""
    return {
        "indices": movers_doc(moves.indices),
        "sectors": movers_doc(moves.sectors),
        "gainers": movers_doc(moves.gainers),
        "losers": movers_doc(moves.losers),
        "most_active": movers_doc(moves.most_active),
        "breadth": breadth_doc(moves.breadth),
        "as_of": optional_time(moves, "as_of"),
    }


def overview_doc(overview: pb.GetMarketOverviewResponse) -> Document:
    return {**market_moves_doc(overview), "market_status": overview.market_status}


def top_movers_doc(movers: pb.ListMoversResponse) -> Document:
    return {
        "gainers": movers_doc(movers.gainers),
        "losers": movers_doc(movers.losers),
        "most_active": movers_doc(movers.most_active),
    }


def sentiment_doc(sentiment: pb.GetMarketSentimentResponse) -> Document:
    return {
        "news_sentiment": sentiment.news_sentiment,
        "news_count": sentiment.news_count,
        "breadth": breadth_doc(sentiment.breadth),
        "as_of": optional_time(sentiment, "as_of"),
    }


def news_doc(item: resources_pb2.NewsItem) -> Document:
    return {
        "id": item.id,
        "symbols": list(item.symbols),
        "headline": item.headline,
        "summary": item.summary,
        "publisher": item.publisher,
        "url": _text_or_none(item.url),
        "published_at": optional_time(item, "published_at"),
        "sentiment": item.sentiment,
        "source": item.source,
    }


def financials_doc(financials: resources_pb2.Financials) -> Document:
    return {
        "symbol": financials.symbol,
        "period": financials.period,
        "fiscal_date": _date(financials.fiscal_date),
        "currency": financials.currency,
        **{name: _figure(getattr(financials, name)) for name in FINANCIAL_FIGURES},
        "source": financials.source,
    }


def financials_list_doc(symbol: str, period: Period, response: pb.GetFundamentalsResponse) -> Document:
    return {
        "symbol": symbol,
        "period": period,
        "items": [financials_doc(financials) for financials in response.financials],
    }


def issue_doc(issue: pb.ImportIssue) -> Document:
    return {"line": issue.line, "field": issue.field, "message": issue.message, "severity": issue.severity}


def import_report_doc(
    symbol: str, file_format: ImportFormat, dry_run: bool, response: pb.ImportBarsResponse
) -> Document:
    return {
        "symbol": symbol,
        "format": file_format,
        "dry_run": dry_run,
        "accepted": response.accepted,
        "rejected": response.rejected,
        "flagged": response.flagged,
        "issues": [issue_doc(issue) for issue in response.issues],
        "first_date": _date(response.first_date),
        "last_date": _date(response.last_date),
    }


def quality_report_doc(symbol: str | None, response: pb.GetQualityReportResponse) -> Document:
    return {
        "symbol": symbol,
        "counts": [
            {"check": count.check, "severity": count.severity, "count": count.count}
            for count in response.counts
        ],
        "recent": [issue_doc(issue) for issue in response.recent],
    }
