"""Simulated financial statements consistent with the price and the shares outstanding.

The revenue of the fiscal year of the latest reported quarter is the market cap over the
sector's price/sales multiple (adjusted per name); earlier years shrink by yearly growth.
Each quarter's statements follow from its revenue and the sector's margins with some noise,
in whole dollars, with every subtotal derived from the items above it, so the accounting
identities hold exactly; an annual statement's flows are the sum of its four quarters and
its balance sheet is the fourth quarter's. Fiscal years end on 31 December; quarters are
reported 45 days after they end, the fourth quarter (with the annual report) after 60.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta

import numpy as np

from eqr_market_data.domain.model import Financials, Instrument, Period, Source
from eqr_market_data.domain.simulator.companies import (
    COMM,
    DISC,
    ENERGY,
    FIN,
    HEALTH,
    INDU,
    IT,
    MAT,
    REIT,
    STAPLES,
    UTIL,
)
from eqr_market_data.domain.simulator.streams import Stream, generator
from eqr_market_data.domain.simulator.universe import FloatArray

ANNUAL_PERIODS = 10
QUARTERLY_PERIODS = 12
TAX_RATE = 0.21
BUYBACK_RATE = 0.01
"""Yearly shrinkage of the share count: earlier years had this many more shares."""
QUARTER_LAG = timedelta(days=45)
YEAR_LAG = timedelta(days=60)
_PROFILE_COUNTER = 0
"""The stream counter of a name's fixed traits; years (> 0) count the yearly draws."""


@dataclass(frozen=True)
class SectorAccounts:
    price_to_sales: float
    gross_margin: float
    operating_margin: float
    depreciation: float
    """Depreciation and amortisation per dollar of revenue."""
    capex: float
    interest: float
    asset_turnover: float
    """Revenue per dollar of total assets."""
    equity_ratio: float
    revenue_growth: float


SECTOR_ACCOUNTS: dict[str, SectorAccounts] = {
    IT: SectorAccounts(8.0, 0.60, 0.28, 0.05, 0.06, 0.010, 0.60, 0.45, 0.10),
    FIN: SectorAccounts(3.0, 0.55, 0.30, 0.02, 0.02, 0.050, 0.08, 0.12, 0.06),
    HEALTH: SectorAccounts(4.0, 0.55, 0.18, 0.05, 0.04, 0.015, 0.55, 0.40, 0.06),
    ENERGY: SectorAccounts(1.4, 0.30, 0.13, 0.08, 0.10, 0.010, 0.70, 0.50, 0.03),
    DISC: SectorAccounts(2.5, 0.38, 0.11, 0.04, 0.05, 0.010, 1.00, 0.30, 0.07),
    STAPLES: SectorAccounts(1.6, 0.35, 0.12, 0.03, 0.035, 0.010, 1.10, 0.30, 0.04),
    INDU: SectorAccounts(2.5, 0.32, 0.14, 0.04, 0.04, 0.015, 0.70, 0.32, 0.05),
    MAT: SectorAccounts(2.2, 0.30, 0.15, 0.06, 0.07, 0.015, 0.60, 0.42, 0.04),
    UTIL: SectorAccounts(2.8, 0.45, 0.22, 0.14, 0.35, 0.080, 0.18, 0.28, 0.04),
    REIT: SectorAccounts(9.0, 0.65, 0.35, 0.30, 0.15, 0.120, 0.12, 0.45, 0.05),
    COMM: SectorAccounts(3.5, 0.55, 0.22, 0.08, 0.10, 0.020, 0.50, 0.45, 0.06),
}


@dataclass(frozen=True)
class _Flows:
    """A period's flows in whole dollars; subtotals are derived from these in ``_statement``."""

    revenue: float
    cost_of_revenue: float
    operating_expenses: float
    interest_expense: float
    income_tax: float
    depreciation_amortization: float
    working_capital_release: float
    capital_expenditure: float
    dividends_paid: float

    @staticmethod
    def total(periods: list[_Flows]) -> _Flows:
        sums = {f.name: float(sum(getattr(p, f.name) for p in periods)) for f in fields(_Flows)}
        return _Flows(**sums)


@dataclass(frozen=True)
class _Balance:
    cash_and_equivalents: float
    total_current_assets: float
    total_assets: float
    total_current_liabilities: float
    total_debt: float
    shareholders_equity: float


@dataclass(frozen=True)
class _Quarter:
    flows: _Flows
    balance: _Balance


def financials(
    instrument: Instrument, dividend_yield: float, as_of: date, last_price: float, *, seed: int
) -> list[Financials]:
    """Ten annual then twelve quarterly statements reported by ``as_of``, each newest first."""
    if last_price <= 0:
        raise ValueError("last_price must be positive")
    accounts = SECTOR_ACCOUNTS[instrument.sector]
    quarter_ends = _reported_quarter_ends(as_of)
    latest_year = quarter_ends[0].year
    last_annual = latest_year if quarter_ends[0].month == 12 else latest_year - 1
    first_year = min(last_annual - ANNUAL_PERIODS + 1, quarter_ends[-1].year)

    profile = generator(seed, Stream.FUNDAMENTALS, _PROFILE_COUNTER, instrument.symbol)
    price_to_sales = accounts.price_to_sales * float(np.exp(0.3 * profile.standard_normal()))
    market_cap = last_price * instrument.shares_outstanding
    revenue = {latest_year: market_cap / price_to_sales}
    draws = {
        year: _YearDraws.of(instrument.symbol, seed, year) for year in range(first_year, latest_year + 1)
    }
    for year in range(latest_year, first_year, -1):
        revenue[year - 1] = revenue[year] / (1.0 + accounts.revenue_growth + draws[year].growth)
    quarters = {
        year: _quarters(
            accounts,
            revenue[year],
            dividend_yield * market_cap * revenue[year] / revenue[latest_year],
            draws[year],
        )
        for year in draws
    }
    shares = {
        year: round(instrument.shares_outstanding * (1 + BUYBACK_RATE) ** (latest_year - year))
        for year in draws
    }

    annual = [
        _statement(
            instrument,
            Period.ANNUAL,
            date(year, 12, 31),
            _Flows.total([q.flows for q in quarters[year]]),
            quarters[year][3].balance,
            shares[year],
        )
        for year in range(last_annual, last_annual - ANNUAL_PERIODS, -1)
    ]
    quarterly = [
        _statement(
            instrument,
            Period.QUARTERLY,
            end,
            quarters[end.year][end.month // 3 - 1].flows,
            quarters[end.year][end.month // 3 - 1].balance,
            shares[end.year],
        )
        for end in quarter_ends
    ]
    return annual + quarterly


def _reported_quarter_ends(as_of: date) -> list[date]:
    """The ends of the ``QUARTERLY_PERIODS`` latest quarters reported by ``as_of``, newest first."""
    year, quarter = as_of.year, (as_of.month - 1) // 3
    ends: list[date] = []
    while len(ends) < QUARTERLY_PERIODS:
        if quarter == 0:
            year, quarter = year - 1, 4
        end = _quarter_end(year, quarter)
        if ends or end + (YEAR_LAG if quarter == 4 else QUARTER_LAG) <= as_of:
            ends.append(end)
        quarter -= 1
    return ends


def _quarter_end(year: int, quarter: int) -> date:
    return date(year, 12, 31) if quarter == 4 else date(year, 3 * quarter + 1, 1) - timedelta(days=1)


@dataclass(frozen=True)
class _YearDraws:
    """A name's random draws for one fiscal year, the same whatever the date of the request."""

    growth: float
    seasonality: FloatArray
    noise: FloatArray
    """Standard normal draws, one row per quarter."""

    @staticmethod
    def of(symbol: str, seed: int, year: int) -> _YearDraws:
        rng = generator(seed, Stream.FUNDAMENTALS, year, symbol)
        growth = 0.06 * float(rng.standard_normal())
        seasonality = 1.0 + 0.04 * rng.standard_normal(4)
        return _YearDraws(growth, seasonality / seasonality.sum(), rng.standard_normal((4, 5)))


def _quarters(
    accounts: SectorAccounts, revenue: float, dividends: float, draws: _YearDraws
) -> list[_Quarter]:
    result = []
    for share, noise in zip(draws.seasonality.tolist(), draws.noise.tolist(), strict=True):
        sales = float(round(revenue * share))
        gross_margin = min(max(accounts.gross_margin + 0.02 * noise[0], 0.05), 0.95)
        operating_margin = min(accounts.operating_margin + 0.03 * noise[1], gross_margin - 0.01)
        operating_income = sales * operating_margin
        interest = float(round(sales * accounts.interest))
        pretax = round(operating_income) - interest
        flows = _Flows(
            revenue=sales,
            cost_of_revenue=float(round(sales * (1.0 - gross_margin))),
            operating_expenses=float(round(sales * (gross_margin - operating_margin))),
            interest_expense=interest,
            income_tax=float(round(max(pretax, 0.0) * TAX_RATE)),
            depreciation_amortization=float(round(sales * accounts.depreciation)),
            working_capital_release=float(round(sales * 0.03 * noise[2])),
            capital_expenditure=float(round(sales * accounts.capex * np.exp(0.1 * noise[3]))),
            dividends_paid=float(round(dividends / 4)),
        )
        assets = float(round(revenue / accounts.asset_turnover * np.exp(0.05 * noise[4])))
        equity = float(round(assets * accounts.equity_ratio))
        balance = _Balance(
            cash_and_equivalents=float(round(assets * 0.08)),
            total_current_assets=float(round(assets * 0.30)),
            total_assets=assets,
            total_current_liabilities=float(round((assets - equity) * 0.35)),
            total_debt=float(round((assets - equity) * 0.45)),
            shareholders_equity=equity,
        )
        result.append(_Quarter(flows, balance))
    return result


def _statement(
    instrument: Instrument, period: Period, fiscal_date: date, flows: _Flows, balance: _Balance, shares: int
) -> Financials:
    gross_profit = flows.revenue - flows.cost_of_revenue
    operating_income = gross_profit - flows.operating_expenses
    pretax_income = operating_income - flows.interest_expense
    net_income = pretax_income - flows.income_tax
    operating_cash_flow = net_income + flows.depreciation_amortization + flows.working_capital_release
    return Financials(
        symbol=instrument.symbol,
        period=period,
        fiscal_date=fiscal_date,
        currency=instrument.currency,
        source=Source.SIMULATED,
        revenue=flows.revenue,
        cost_of_revenue=flows.cost_of_revenue,
        gross_profit=gross_profit,
        operating_expenses=flows.operating_expenses,
        operating_income=operating_income,
        interest_expense=flows.interest_expense,
        pretax_income=pretax_income,
        income_tax=flows.income_tax,
        net_income=net_income,
        eps_diluted=net_income / shares,
        depreciation_amortization=flows.depreciation_amortization,
        ebitda=operating_income + flows.depreciation_amortization,
        cash_and_equivalents=balance.cash_and_equivalents,
        total_current_assets=balance.total_current_assets,
        total_assets=balance.total_assets,
        total_current_liabilities=balance.total_current_liabilities,
        total_debt=balance.total_debt,
        total_liabilities=balance.total_assets - balance.shareholders_equity,
        shareholders_equity=balance.shareholders_equity,
        shares_outstanding=float(shares),
        operating_cash_flow=operating_cash_flow,
        capital_expenditure=flows.capital_expenditure,
        free_cash_flow=operating_cash_flow - flows.capital_expenditure,
        dividends_paid=flows.dividends_paid,
    )
