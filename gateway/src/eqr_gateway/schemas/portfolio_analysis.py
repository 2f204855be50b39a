"""Performance (returns by period, the value series, calendar returns, contributions) and risk."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field

from eqr_gateway.schemas.portfolio_fields import examples

_FRACTION = "A fraction: 0.05 is 5%."
_ABSENT = "Null when the history is too short."


class PeriodReturn(BaseModel):
    period: str = Field(description="1D, 1W, 1M, 3M, YTD, 1Y, 3Y, 5Y, INCEPTION or CUSTOM.", examples=["1Y"])
    start_date: date | None
    end_date: date | None
    time_weighted: float | None = Field(description=f"Time-weighted return. {_FRACTION} {_ABSENT}")
    money_weighted: float | None = Field(
        description=(
            "Money-weighted return (IRR), treated as the time-weighted one is: for a period of a year "
            "or longer the annual rate; for a shorter one the period's own return, not annualised "
            "(GIPS), the annual rate r compounded over the days the money was in: (1 + r)^(days/365) - 1. "
            f"{_FRACTION} {_ABSENT}"
        )
    )
    benchmark: float | None = Field(description="The benchmark's return; null without a benchmark.")
    excess: float | None = Field(
        description="Cumulative time-weighted return less the benchmark's over the period; never annualised."
    )
    annualized: bool = Field(
        description="True for a period of a year or longer: both returns and the benchmark's are then annual."
    )


class ValuePoint(BaseModel):
    date: date
    value: float = Field(description="Market value at the close.")
    net_flow: float = Field(description="Deposits less withdrawals that day.")
    cumulative_return: float = Field(description=f"Time-weighted, since the first point. {_FRACTION}")
    benchmark_cumulative_return: float | None


class CalendarReturn(BaseModel):
    year: int
    month: int | None = Field(description="1-12; null for the whole year.")
    time_weighted: float
    benchmark: float | None
    partial: bool = Field(description="The portfolio existed for only part of the period.")


class Contribution(BaseModel):
    symbol: str
    contribution: float = Field(description=f"Share of the portfolio's return. {_FRACTION}")
    pnl: float = Field(description="Profit or loss in the base currency.")


class Performance(BaseModel):
    model_config = examples(
        {
            "portfolio_id": "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
            "benchmark": "^GSPC",
            "periods": [
                {
                    "period": "1Y",
                    "start_date": "2024-03-14",
                    "end_date": "2025-03-14",
                    "time_weighted": 0.1214,
                    "money_weighted": 0.1187,
                    "benchmark": 0.1093,
                    "excess": 0.0121,
                    "annualized": True,
                }
            ],
            "series": [
                {
                    "date": "2025-03-14",
                    "value": 3298.7,
                    "net_flow": 0.0,
                    "cumulative_return": 0.1214,
                    "benchmark_cumulative_return": 0.1093,
                }
            ],
            "calendar": [
                {"year": 2024, "month": None, "time_weighted": 0.182, "benchmark": 0.233, "partial": True}
            ],
            "contributions": [{"symbol": "AAPL", "contribution": 0.094, "pnl": 445.7}],
            "tracking_error": 0.041,
            "tracking_difference": 0.0121,
        }
    )

    portfolio_id: UUID
    benchmark: str | None
    periods: list[PeriodReturn]
    series: list[ValuePoint] = Field(description="Daily, oldest first.")
    calendar: list[CalendarReturn] = Field(description="By year and by month.")
    contributions: list[Contribution] = Field(description="Largest contribution first.")
    tracking_error: float | None = Field(description="Annualised; null without a benchmark.")
    tracking_difference: float | None


class Drawdown(BaseModel):
    depth: float = Field(description=f"Fall from the peak. {_FRACTION}")
    peak: date | None
    trough: date | None
    recovered: date | None = Field(description="Null while not yet recovered.")


class Risk(BaseModel):
    model_config = examples(
        {
            "portfolio_id": "5b0c2f4e-8f1a-4d6b-9c3e-2a7d1e0f9b84",
            "benchmark": "^GSPC",
            "start_date": "2024-03-14",
            "end_date": "2025-03-14",
            "observations": 251,
            "volatility": 0.183,
            "sharpe": 0.62,
            "sortino": 0.91,
            "beta": 1.08,
            "correlation": 0.87,
            "max_drawdown": {"depth": 0.142, "peak": "2024-07-10", "trough": "2024-08-05", "recovered": None},
            "risk_free_rate": 0.04,
        }
    )

    portfolio_id: UUID
    benchmark: str | None
    start_date: date | None
    end_date: date | None
    observations: int = Field(description="Daily returns the figures rest on.")
    volatility: float | None = Field(description=f"Annualised. {_ABSENT}")
    sharpe: float | None = Field(description=_ABSENT)
    sortino: float | None = Field(description=_ABSENT)
    beta: float | None = Field(description="Against the benchmark; null without one.")
    correlation: float | None = Field(description="With the benchmark; null without one.")
    max_drawdown: Drawdown | None
    risk_free_rate: float = Field(description=f"Annual. {_FRACTION}")
