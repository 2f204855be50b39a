"""Portfolio figures the service computed, protobuf -> REST: valuation, performance, risk and
rebalancing proposals. Same rules as ``convert_portfolio``: decimals as their exact text,
doubles as numbers, unset optional figures and dates as null.

The valuation (500 holdings of 20 fields), the performance (a 2,500-day series) and the risk
figures are the hot paths: their JSON is rendered here with orjson and sent as bytes, as the
quotes and history are (``convert_market``), without building and re-checking models; the
schemas document them and the tests check every rendering against them. Their rows read each
field once: a decimal's text (empty when unset) is what ``optional_decimal`` returns anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import orjson

from eqr.common.v1 import date_pb2, decimal_pb2
from eqr.portfolio.v1 import resources_pb2 as res
from eqr_gateway.convert import optional_time
from eqr_gateway.convert_portfolio import (
    Document,
    decimal,
    optional_date,
    optional_double,
    text_or_none,
)

_JSON_OPTIONS = orjson.OPT_UTC_Z
"""Timestamps as "2025-03-14T15:42:07Z", the text pydantic writes for the other routes."""


def _exact(value: decimal_pb2.Decimal, name: str) -> str:
    """A required decimal's text."""
    text: str = value.value
    if not text:
        raise ValueError(f"{name} is unset")
    return text


def _day(value: date_pb2.Date, name: str) -> date:
    """A required date."""
    if not value.year:
        raise ValueError(f"{name} is unset")
    return date(value.year, value.month, value.day)


def lot_doc(lot: res.Lot) -> Document:
    return {
        "opened_on": _day(lot.opened_on, "Lot.opened_on"),
        "quantity": _exact(lot.quantity, "Lot.quantity"),
        "cost_basis": _exact(lot.cost_basis, "Lot.cost_basis"),
        "cost_per_share": _exact(lot.cost_per_share, "Lot.cost_per_share"),
        "market_value": _exact(lot.market_value, "Lot.market_value"),
        "unrealized_pnl": _exact(lot.unrealized_pnl, "Lot.unrealized_pnl"),
    }


def _greeks_doc(greeks: res.PositionGreeks) -> Document:
    return {
        "dollar_delta": greeks.dollar_delta,
        "dollar_gamma": greeks.dollar_gamma,
        "vega_per_point": greeks.vega_per_point,
        "theta_per_day": greeks.theta_per_day,
    }


def _option_doc(option: res.OptionDetails) -> Document:
    return {
        "underlying": option.underlying,
        "expiry": _day(option.expiry, "OptionDetails.expiry"),
        "strike": _exact(option.strike, "OptionDetails.strike"),
        "kind": option.kind,
        "multiplier": option.multiplier,
        "price_source": option.price_source or None,
    }


def holding_doc(holding: res.Holding, *, include_lots: bool) -> Document:
    has = holding.HasField
    return {
        "symbol": holding.symbol,
        "is_cash": holding.is_cash,
        "name": holding.name,
        "sector": holding.sector or None,
        "industry": holding.industry or None,
        "quantity": _exact(holding.quantity, "Holding.quantity"),
        "price": holding.price.value or None,
        "previous_close": holding.previous_close.value or None,
        "market_value": _exact(holding.market_value, "Holding.market_value"),
        "cost_basis": _exact(holding.cost_basis, "Holding.cost_basis"),
        "average_cost": holding.average_cost.value or None,
        "unrealized_pnl": _exact(holding.unrealized_pnl, "Holding.unrealized_pnl"),
        "unrealized_pnl_percent": (holding.unrealized_pnl_percent if has("unrealized_pnl_percent") else None),
        "realized_pnl": holding.realized_pnl.value or None,
        "income": holding.income.value or None,
        "day_change": _exact(holding.day_change, "Holding.day_change"),
        "day_change_percent": holding.day_change_percent if has("day_change_percent") else None,
        "weight": holding.weight,
        "priced": holding.priced,
        "lots": [lot_doc(lot) for lot in holding.lots] if include_lots else None,
        "option": _option_doc(holding.option) if has("option") else None,
        "greeks": _greeks_doc(holding.greeks) if has("greeks") else None,
    }


def _slices(slices: Iterable[res.AllocationSlice]) -> list[Document]:
    return [{"name": s.name, "market_value": decimal(s, "market_value"), "weight": s.weight} for s in slices]


def valuation_doc(valuation: res.Valuation, *, include_lots: bool) -> Document:
    totals = ("market_value", "cash", "cost_basis", "unrealized_pnl", "realized_pnl", "income", "fees")
    return {
        "portfolio_id": valuation.portfolio_id,
        "currency": valuation.currency,
        "as_of": optional_date(valuation, "as_of"),
        "valued_at": optional_time(valuation, "valued_at"),
        "totals": {
            **{name: decimal(valuation, name) for name in totals},
            "day_change": decimal(valuation, "day_change"),
            "day_change_percent": optional_double(valuation, "day_change_percent"),
            "net_deposits": decimal(valuation, "net_deposits"),
            "greeks": _greeks_doc(valuation.greeks),
        },
        "holdings": [holding_doc(holding, include_lots=include_lots) for holding in valuation.holdings],
        "allocation": {
            "by_sector": _slices(valuation.by_sector),
            "by_industry": _slices(valuation.by_industry),
        },
    }


def valuation_json(valuation: res.Valuation, *, include_lots: bool) -> bytes:
    return orjson.dumps(valuation_doc(valuation, include_lots=include_lots), option=_JSON_OPTIONS)


def performance_doc(performance: res.Performance) -> Document:
    return {
        "portfolio_id": performance.portfolio_id,
        "benchmark": text_or_none(performance.benchmark),
        "periods": [
            {
                "period": period.period,
                "start_date": optional_date(period, "start_date"),
                "end_date": optional_date(period, "end_date"),
                "time_weighted": optional_double(period, "time_weighted"),
                "money_weighted": optional_double(period, "money_weighted"),
                "benchmark": optional_double(period, "benchmark"),
                "excess": optional_double(period, "excess"),
                "annualized": period.annualized,
            }
            for period in performance.periods
        ],
        "series": [
            {
                "date": _day(point.date, "ValuePoint.date"),
                "value": point.value,
                "net_flow": point.net_flow,
                "cumulative_return": point.cumulative_return,
                "benchmark_cumulative_return": (
                    point.benchmark_cumulative_return
                    if point.HasField("benchmark_cumulative_return")
                    else None
                ),
            }
            for point in performance.series
        ],
        "calendar": [
            {
                "year": entry.year,
                "month": entry.month or None,
                "time_weighted": entry.time_weighted,
                "benchmark": optional_double(entry, "benchmark"),
                "partial": entry.partial,
            }
            for entry in performance.calendar
        ],
        "contributions": [
            {"symbol": c.symbol, "contribution": c.contribution, "pnl": c.pnl}
            for c in performance.contributions
        ],
        "tracking_error": optional_double(performance, "tracking_error"),
        "tracking_difference": optional_double(performance, "tracking_difference"),
    }


def performance_json(performance: res.Performance) -> bytes:
    return orjson.dumps(performance_doc(performance), option=_JSON_OPTIONS)


def risk_doc(risk: res.RiskFigures) -> Document:
    drawdown = risk.max_drawdown
    return {
        "portfolio_id": risk.portfolio_id,
        "benchmark": text_or_none(risk.benchmark),
        "start_date": optional_date(risk, "start_date"),
        "end_date": optional_date(risk, "end_date"),
        "observations": risk.observations,
        **{
            name: optional_double(risk, name)
            for name in ("volatility", "sharpe", "sortino", "beta", "correlation")
        },
        "max_drawdown": {
            "depth": drawdown.depth,
            "peak": optional_date(drawdown, "peak"),
            "trough": optional_date(drawdown, "trough"),
            "recovered": optional_date(drawdown, "recovered"),
        }
        if risk.HasField("max_drawdown")
        else None,
        "risk_free_rate": risk.risk_free_rate,
    }


def risk_json(risk: res.RiskFigures) -> bytes:
    return orjson.dumps(risk_doc(risk), option=_JSON_OPTIONS)


def proposal_doc(proposal: res.RebalanceProposal) -> Document:
    money = ("quantity", "price", "value", "commission")
    return {
        "trades": [
            {"symbol": t.symbol, "side": t.side, **{name: decimal(t, name) for name in money}}
            for t in proposal.trades
        ],
        "drift": [
            {
                "symbol": d.symbol,
                "current_weight": d.current_weight,
                "target_weight": d.target_weight,
                "drift": d.drift,
                "weight_after": d.weight_after,
            }
            for d in proposal.drift
        ],
        "cash_after": decimal(proposal, "cash_after"),
        "commissions": decimal(proposal, "commissions"),
    }
