"""Portfolio figures the service computed, protobuf -> REST: valuation, performance, risk and
rebalancing proposals. Same rules as ``convert_portfolio``: decimals as their exact text,
doubles as numbers, unset optional figures and dates as null.
"""

from __future__ import annotations

from collections.abc import Iterable

from eqr.portfolio.v1 import resources_pb2 as res
from eqr_gateway.convert import optional_time
from eqr_gateway.convert_portfolio import (
    Document,
    decimal,
    optional_date,
    optional_decimal,
    optional_double,
    required_date,
    text_or_none,
)


def lot_doc(lot: res.Lot) -> Document:
    return {
        "opened_on": required_date(lot, "opened_on"),
        "quantity": decimal(lot, "quantity"),
        "cost_basis": decimal(lot, "cost_basis"),
        "cost_per_share": decimal(lot, "cost_per_share"),
        "market_value": decimal(lot, "market_value"),
        "unrealized_pnl": decimal(lot, "unrealized_pnl"),
    }


def holding_doc(holding: res.Holding, *, include_lots: bool) -> Document:
    return {
        "symbol": holding.symbol,
        "is_cash": holding.is_cash,
        "name": holding.name,
        "sector": text_or_none(holding.sector),
        "industry": text_or_none(holding.industry),
        "quantity": decimal(holding, "quantity"),
        "price": optional_decimal(holding, "price"),
        "previous_close": optional_decimal(holding, "previous_close"),
        "market_value": decimal(holding, "market_value"),
        "cost_basis": decimal(holding, "cost_basis"),
        "average_cost": optional_decimal(holding, "average_cost"),
        "unrealized_pnl": decimal(holding, "unrealized_pnl"),
        "unrealized_pnl_percent": optional_double(holding, "unrealized_pnl_percent"),
        "realized_pnl": optional_decimal(holding, "realized_pnl"),
        "income": optional_decimal(holding, "income"),
        "day_change": decimal(holding, "day_change"),
        "day_change_percent": optional_double(holding, "day_change_percent"),
        "weight": holding.weight,
        "priced": holding.priced,
        "lots": [lot_doc(lot) for lot in holding.lots] if include_lots else None,
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
        },
        "holdings": [holding_doc(holding, include_lots=include_lots) for holding in valuation.holdings],
        "allocation": {
            "by_sector": _slices(valuation.by_sector),
            "by_industry": _slices(valuation.by_industry),
        },
    }


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
                "date": required_date(point, "date"),
                "value": point.value,
                "net_flow": point.net_flow,
                "cumulative_return": point.cumulative_return,
                "benchmark_cumulative_return": optional_double(point, "benchmark_cumulative_return"),
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
