"""Instruments, corporate actions and fundamentals: round-trips and upserts."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from eqr_market_data.adapters.db.store import SqlMarketStore
from eqr_market_data.domain.model import (
    ActionKind,
    AssetClass,
    CorporateAction,
    Financials,
    Instrument,
    Period,
    Source,
)

APPLE = Instrument(
    symbol="AAPL",
    name="Apple Inc.",
    exchange="NASDAQ",
    currency="USD",
    asset_class=AssetClass.EQUITY,
    sector="Information Technology",
    industry="Technology Hardware",
    country="US",
    shares_outstanding=15_204_137_000,
    source=Source.SIMULATED,
)
SP500 = Instrument(
    symbol="^GSPC", name="S&P 500", exchange="INDEX", currency="USD", asset_class=AssetClass.INDEX
)


async def test_instruments_round_trip_in_symbol_order(store: SqlMarketStore) -> None:
    await store.upsert_instruments([APPLE, SP500])

    assert await store.instruments() == [APPLE, SP500]


async def test_an_instrument_upsert_replaces_every_field(store: SqlMarketStore) -> None:
    await store.upsert_instruments([APPLE])
    renamed = replace(APPLE, name="Apple", shares_outstanding=1, source=Source.YAHOO)

    await store.upsert_instruments([renamed])

    assert await store.instruments() == [renamed]


async def test_the_last_of_duplicate_instruments_in_one_call_wins(store: SqlMarketStore) -> None:
    await store.upsert_instruments([APPLE, replace(APPLE, name="Second")])

    assert [i.name for i in await store.instruments()] == ["Second"]


async def test_writing_nothing_is_harmless(store: SqlMarketStore) -> None:
    await store.upsert_instruments([])
    await store.save_corporate_actions([])
    await store.save_financials([])

    assert await store.instruments() == []


async def test_corporate_actions_round_trip_oldest_first(store: SqlMarketStore) -> None:
    dividend = CorporateAction("AAPL", date(2024, 8, 12), ActionKind.DIVIDEND, dividend=0.25)
    split = CorporateAction("AAPL", date(2020, 8, 31), ActionKind.SPLIT, split_ratio=4.0)
    same_day = CorporateAction("AAPL", date(2020, 8, 31), ActionKind.DIVIDEND, dividend=0.205)
    other = CorporateAction("MSFT", date(2021, 1, 4), ActionKind.DIVIDEND, dividend=0.56)
    await store.save_corporate_actions([dividend, split, same_day, other])

    assert await store.corporate_actions("AAPL") == [same_day, split, dividend]
    assert await store.corporate_actions("NOPE") == []


async def test_a_corporate_action_upsert_replaces_the_amount(store: SqlMarketStore) -> None:
    first = CorporateAction("AAPL", date(2024, 8, 12), ActionKind.DIVIDEND, dividend=0.24)
    await store.save_corporate_actions([first])
    corrected = replace(first, dividend=0.25, source=Source.ALPHA_VANTAGE)

    await store.save_corporate_actions([corrected])

    assert await store.corporate_actions("AAPL") == [corrected]


def _financials(fiscal_date: date, revenue: float, period: Period = Period.ANNUAL) -> Financials:
    return Financials(
        symbol="AAPL",
        period=period,
        fiscal_date=fiscal_date,
        currency="USD",
        source=Source.SIMULATED,
        revenue=revenue,
        net_income=revenue / 4,
        eps_diluted=6.11,
        shares_outstanding=15.2e9,
    )


def _same(left: Financials, right: Financials) -> bool:
    """Equal field by field, NaN matching NaN."""
    return all(
        (a == b) or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
        for a, b in zip(vars(left).values(), vars(right).values(), strict=True)
    )


async def test_financials_round_trip_newest_first_with_absent_figures_as_nan(
    store: SqlMarketStore,
) -> None:
    years = [_financials(date(year, 9, 30), 100e9 + year) for year in (2021, 2023, 2022)]
    quarter = _financials(date(2023, 12, 30), 30e9, Period.QUARTERLY)
    await store.save_financials([*years, quarter])

    annual = await store.financials("AAPL", Period.ANNUAL, limit=2)

    assert [f.fiscal_date.year for f in annual] == [2023, 2022]
    assert _same(annual[0], years[1])
    assert math.isnan(annual[0].total_debt)
    quarterly = await store.financials("AAPL", Period.QUARTERLY, limit=10)
    assert len(quarterly) == 1
    assert _same(quarterly[0], quarter)


async def test_absent_figures_are_stored_as_null(store: SqlMarketStore, market_engine: AsyncEngine) -> None:
    await store.save_financials([_financials(date(2023, 9, 30), 383e9)])

    async with market_engine.connect() as conn:
        row = (await conn.execute(text("SELECT revenue, total_debt FROM market_data.financials"))).one()

    assert row.revenue == 383e9
    assert row.total_debt is None


async def test_a_financials_upsert_replaces_the_period(store: SqlMarketStore) -> None:
    await store.save_financials([_financials(date(2023, 9, 30), 1.0)])
    restated = _financials(date(2023, 9, 30), 2.0)

    await store.save_financials([restated])

    stored = await store.financials("AAPL", Period.ANNUAL, limit=10)
    assert len(stored) == 1
    assert stored[0].revenue == 2.0
