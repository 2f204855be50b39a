"""Simulated statements: periods, accounting identities, and consistency with the price."""

from __future__ import annotations

from datetime import date

import pytest

from eqr_market_data.domain.model import Financials, Period
from eqr_market_data.domain.simulator.fundamentals import SECTOR_ACCOUNTS, financials
from eqr_market_data.domain.simulator.universe import SimulatedUniverse, build_universe

FLOWS = (
    "revenue",
    "cost_of_revenue",
    "gross_profit",
    "operating_expenses",
    "operating_income",
    "interest_expense",
    "pretax_income",
    "income_tax",
    "net_income",
    "depreciation_amortization",
    "ebitda",
    "operating_cash_flow",
    "capital_expenditure",
    "free_cash_flow",
    "dividends_paid",
)


@pytest.fixture(scope="module")
def universe() -> SimulatedUniverse:
    return build_universe()


def statements(
    universe: SimulatedUniverse, symbol: str, as_of: date, price: float, seed: int = 5
) -> list[Financials]:
    position = [e.symbol for e in universe.equities].index(symbol)
    return financials(
        universe.equities[position], float(universe.params.dividend_yield[position]), as_of, price, seed=seed
    )


def test_ten_years_and_twelve_quarters_reported_by_the_date(universe: SimulatedUniverse) -> None:
    items = statements(universe, "AAPL", date(2024, 5, 20), 190.0)
    annual = [f for f in items if f.period == Period.ANNUAL]
    quarterly = [f for f in items if f.period == Period.QUARTERLY]
    assert [f.fiscal_date for f in annual] == [date(year, 12, 31) for year in range(2023, 2013, -1)]
    assert quarterly[0].fiscal_date == date(2024, 3, 31)
    assert quarterly[-1].fiscal_date == date(2021, 6, 30)
    assert len(quarterly) == 12
    not_yet = statements(universe, "AAPL", date(2024, 2, 20), 190.0)
    assert next(f for f in not_yet if f.period == Period.QUARTERLY).fiscal_date == date(2023, 9, 30)
    assert next(f for f in not_yet if f.period == Period.ANNUAL).fiscal_date == date(2022, 12, 31)
    assert {(f.symbol, f.currency, f.source) for f in items} == {("AAPL", "USD", "simulated")}


@pytest.mark.parametrize("symbol", ["AAPL", "JPM", "XOM", "NEE", "O", "KO"])
def test_accounting_identities_hold_exactly(universe: SimulatedUniverse, symbol: str) -> None:
    for f in statements(universe, symbol, date(2025, 8, 30), 123.45):
        assert f.gross_profit == f.revenue - f.cost_of_revenue
        assert f.operating_income == f.gross_profit - f.operating_expenses
        assert f.pretax_income == f.operating_income - f.interest_expense
        assert f.net_income == f.pretax_income - f.income_tax
        assert f.ebitda == f.operating_income + f.depreciation_amortization
        assert f.free_cash_flow == f.operating_cash_flow - f.capital_expenditure
        assert f.total_assets == f.total_liabilities + f.shareholders_equity
        assert f.eps_diluted == f.net_income / f.shares_outstanding
        assert f.revenue > 0
        assert f.total_assets > 0


def test_quarters_add_up_to_their_fiscal_year(universe: SimulatedUniverse) -> None:
    items = statements(universe, "MSFT", date(2025, 3, 15), 400.0)
    annual = {f.fiscal_date.year: f for f in items if f.period == Period.ANNUAL}
    quarterly = [f for f in items if f.period == Period.QUARTERLY]
    complete_years = [y for y in annual if sum(q.fiscal_date.year == y for q in quarterly) == 4]
    assert len(complete_years) == 3
    for year in complete_years:
        quarters = [q for q in quarterly if q.fiscal_date.year == year]
        for name in FLOWS:
            assert sum(getattr(q, name) for q in quarters) == getattr(annual[year], name), name
        assert quarters[0].total_assets == annual[year].total_assets


def test_revenue_follows_the_market_cap_through_the_sector_multiple(universe: SimulatedUniverse) -> None:
    cheap = statements(universe, "XOM", date(2025, 6, 1), 100.0)
    dear = statements(universe, "XOM", date(2025, 6, 1), 200.0)
    assert dear[0].revenue == pytest.approx(2 * cheap[0].revenue, rel=1e-6)
    for symbol in ("XOM", "MSFT", "JPM", "PG"):
        instrument = next(e for e in universe.equities if e.symbol == symbol)
        latest = statements(universe, symbol, date(2025, 6, 1), 100.0)
        quarters = [f for f in latest if f.period == Period.QUARTERLY]
        multiple = 100.0 * instrument.shares_outstanding / sum(q.revenue for q in quarters[:4])
        assert 0.25 < multiple / SECTOR_ACCOUNTS[instrument.sector].price_to_sales < 4
        assert quarters[0].shares_outstanding == instrument.shares_outstanding


def test_statements_are_deterministic_by_seed(universe: SimulatedUniverse) -> None:
    day = date(2025, 6, 1)
    assert statements(universe, "PG", day, 160.0) == statements(universe, "PG", day, 160.0)
    assert statements(universe, "PG", day, 160.0) != statements(universe, "PG", day, 160.0, seed=6)
    later = statements(universe, "PG", date(2025, 9, 1), 160.0)
    assert [f for f in later if f.fiscal_date.year < 2024] != []
    with pytest.raises(ValueError, match="last_price"):
        statements(universe, "PG", day, 0.0)
