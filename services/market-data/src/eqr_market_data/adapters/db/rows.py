"""Rows <-> domain objects.

Optional floats are NaN in the domain and NULL in the database. Timestamps come back
UTC-aware whatever the session's time zone; daily bars are stored by trading day and
start at 00:00 UTC of it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import Row

from eqr_market_data.adapters.db.tables import FINANCIAL_FIGURES
from eqr_market_data.domain.model import (
    ActionKind,
    AssetClass,
    Bar,
    CorporateAction,
    Financials,
    Instrument,
    Interval,
    NewsItem,
    Period,
    Quote,
)
from eqr_market_data.domain.quality import QualityIssue, Severity

BAR_COLUMNS = ("symbol", "day", "open", "high", "low", "close", "volume", "source")
"""Column order of :func:`daily_bar_record`; intraday records put ``start`` where ``day`` is."""
INTRADAY_BAR_COLUMNS = ("symbol", "start", "open", "high", "low", "close", "volume", "source")


def _null_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else value


def _nan_if_null(value: float | None) -> float:
    return math.nan if value is None else value


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def instrument_values(instrument: Instrument) -> dict[str, Any]:
    return {
        "symbol": instrument.symbol,
        "name": instrument.name,
        "exchange": instrument.exchange,
        "currency": instrument.currency,
        "asset_class": instrument.asset_class.value,
        "sector": instrument.sector,
        "industry": instrument.industry,
        "country": instrument.country,
        "shares_outstanding": instrument.shares_outstanding,
        "source": str(instrument.source),
    }


def instrument_from_row(row: Row[Any]) -> Instrument:
    return Instrument(
        symbol=row.symbol,
        name=row.name,
        exchange=row.exchange,
        currency=row.currency,
        asset_class=AssetClass(row.asset_class),
        sector=row.sector,
        industry=row.industry,
        country=row.country,
        shares_outstanding=row.shares_outstanding,
        source=row.source,
    )


def quote_values(quote: Quote) -> dict[str, Any]:
    return {
        "symbol": quote.symbol,
        "price": quote.price,
        "open": quote.open,
        "high": quote.high,
        "low": quote.low,
        "previous_close": quote.previous_close,
        "volume": quote.volume,
        "timestamp": quote.timestamp,
        "source": str(quote.source),
        "bid": _null_if_nan(quote.bid),
        "ask": _null_if_nan(quote.ask),
        "stale": quote.stale,
    }


def quote_from_row(row: Row[Any]) -> Quote:
    return Quote(
        symbol=row.symbol,
        price=row.price,
        open=row.open,
        high=row.high,
        low=row.low,
        previous_close=row.previous_close,
        volume=row.volume,
        timestamp=_utc(row.timestamp),
        source=row.source,
        bid=_nan_if_null(row.bid),
        ask=_nan_if_null(row.ask),
        stale=row.stale,
    )


def daily_bar_record(bar: Bar) -> tuple[Any, ...]:
    """A ``daily_bars`` row in :data:`BAR_COLUMNS` order."""
    day = _utc(bar.start).date()
    return (bar.symbol, day, bar.open, bar.high, bar.low, bar.close, bar.volume, str(bar.source))


def intraday_bar_record(bar: Bar) -> tuple[Any, ...]:
    """An ``intraday_bars`` row in :data:`INTRADAY_BAR_COLUMNS` order."""
    return (bar.symbol, bar.start, bar.open, bar.high, bar.low, bar.close, bar.volume, str(bar.source))


def daily_bars_from_rows(records: Iterable[Sequence[Any]]) -> list[Bar]:
    """Rows in :data:`BAR_COLUMNS` order, unpacked by position: history reads are the hot path."""
    return [
        Bar(
            symbol, Interval.D1, datetime.combine(day, time.min, UTC), open_, high, low, close, volume, source
        )
        for symbol, day, open_, high, low, close, volume, source in records
    ]


def intraday_bars_from_rows(records: Iterable[Sequence[Any]]) -> list[Bar]:
    """Rows in :data:`INTRADAY_BAR_COLUMNS` order."""
    return [
        Bar(symbol, Interval.M1, _utc(start), open_, high, low, close, volume, source)
        for symbol, start, open_, high, low, close, volume, source in records
    ]


def action_values(action: CorporateAction) -> dict[str, Any]:
    return {
        "symbol": action.symbol,
        "ex_date": action.ex_date,
        "kind": action.kind.value,
        "split_ratio": action.split_ratio,
        "dividend": action.dividend,
        "source": str(action.source),
    }


def action_from_row(row: Row[Any]) -> CorporateAction:
    return CorporateAction(
        symbol=row.symbol,
        ex_date=row.ex_date,
        kind=ActionKind(row.kind),
        split_ratio=row.split_ratio,
        dividend=row.dividend,
        source=row.source,
    )


def financials_values(item: Financials) -> dict[str, Any]:
    return {
        "symbol": item.symbol,
        "period": item.period.value,
        "fiscal_date": item.fiscal_date,
        "currency": item.currency,
        "source": str(item.source),
        **{name: _null_if_nan(getattr(item, name)) for name in FINANCIAL_FIGURES},
    }


def financials_from_row(row: Row[Any]) -> Financials:
    figures = row._mapping
    return Financials(
        symbol=row.symbol,
        period=Period(row.period),
        fiscal_date=row.fiscal_date,
        currency=row.currency,
        source=row.source,
        **{name: _nan_if_null(figures[name]) for name in FINANCIAL_FIGURES},
    )


def news_values(item: NewsItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "symbols": list(item.symbols),
        "headline": item.headline,
        "summary": item.summary,
        "publisher": item.publisher,
        "url": item.url,
        "published_at": item.published_at,
        "sentiment": item.sentiment,
        "source": str(item.source),
    }


def news_from_row(row: Row[Any]) -> NewsItem:
    return NewsItem(
        id=row.id,
        headline=row.headline,
        published_at=_utc(row.published_at),
        source=row.source,
        symbols=tuple(row.symbols),
        summary=row.summary,
        publisher=row.publisher,
        url=row.url,
        sentiment=row.sentiment,
    )


def issue_values(issue: QualityIssue) -> dict[str, Any]:
    return {
        "symbol": issue.symbol,
        "check": issue.check,
        "severity": issue.severity.value,
        "message": issue.message,
        "field": issue.field,
        "line": issue.line,
        "observed_at": issue.observed_at,
    }


def issue_from_row(row: Row[Any]) -> QualityIssue:
    return QualityIssue(
        symbol=row.symbol,
        check=row.check,
        severity=Severity(row.severity),
        message=row.message,
        field=row.field,
        line=row.line,
        observed_at=_utc(row.observed_at) if row.observed_at else None,
    )
