"""A file the ledger cannot take names the line and field at fault, and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from eqr_portfolio.adapters.db.unit_of_work import SqlUnitOfWork
from eqr_portfolio.app.caller import Caller
from eqr_portfolio.app.dependencies import Dependencies, Limits
from eqr_portfolio.app.transfer import ImportFormat, import_transactions
from eqr_portfolio.domain.csv_transactions import ImportRejected, RowProblem
from eqr_portfolio.domain.transactions import LedgerPolicy, Portfolio

NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)
HEADER = "date,type,symbol,quantity,price,amount,commission,notes\r\n"
FLEX_HEADER = (
    '"Symbol","TradeDate","Quantity","TradePrice","IBCommission",'
    '"Buy/Sell","AssetClass","CurrencyPrimary"\r\n'
)


class Clock:
    def now(self) -> datetime:
        return NOW


async def _portfolio(engine: AsyncEngine, policy: LedgerPolicy) -> tuple[Dependencies, Portfolio]:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    portfolio = Portfolio(uuid4(), uuid4(), "Imports", "", "USD", None, policy, NOW, NOW)
    async with SqlUnitOfWork(sessions) as uow:
        await uow.portfolios.add(portfolio)
        await uow.commit()
    deps = Dependencies(
        unit_of_work=lambda: SqlUnitOfWork(sessions),
        clock=Clock(),
        market_data=None,  # type: ignore[arg-type]
        directory=None,  # type: ignore[arg-type]
        options=None,  # type: ignore[arg-type]
        limits=Limits(),
    )
    return deps, portfolio


async def _ledger_size(deps: Dependencies, portfolio: Portfolio) -> int:
    async with deps.unit_of_work() as uow:
        return len(await uow.transactions.ledger(portfolio.id))


@pytest.mark.parametrize("dry_run", [True, False])
async def test_selling_more_than_the_file_bought_names_its_line(engine: AsyncEngine, dry_run: bool) -> None:
    deps, portfolio = await _portfolio(engine, LedgerPolicy())
    csv = (
        HEADER
        + "2026-11-02,deposit,,,,5000,,\r\n"
        + "\r\n"  # a blank line still counts
        + "2026-11-03,buy,AAPL,10,200,,,\r\n"
        + "2026-11-04,sell,AAPL,12,210,,,\r\n"
    )
    caller = Caller(portfolio.owner_id)
    expected = (RowProblem(5, "quantity", "cannot sell 12 AAPL on 2026-11-04: only 10 held"),)
    if dry_run:
        report = await import_transactions(deps, caller, portfolio.id, ImportFormat.CSV, csv, dry_run=True)
        assert report.problems == expected
    else:
        with pytest.raises(ImportRejected) as caught:
            await import_transactions(deps, caller, portfolio.id, ImportFormat.CSV, csv, dry_run=False)
        assert caught.value.problems == expected
    assert await _ledger_size(deps, portfolio) == 0


async def test_a_flex_trade_the_ledger_refuses_names_its_line_past_skipped_rows(engine: AsyncEngine) -> None:
    deps, portfolio = await _portfolio(engine, LedgerPolicy())
    flex = FLEX_HEADER + (
        '"MSFT","20261102","1","400","-1","BUY","STK","USD"\r\n'
        '"AAPL  261120C00190000","20261103","1","2","-1","BUY","OPT","USD"\r\n'  # skipped: not a stock
        '"MSFT","20261103","-2","410","-1","SELL","STK","USD"\r\n'
    )
    report = await import_transactions(
        deps, Caller(portfolio.owner_id), portfolio.id, ImportFormat.IBKR_FLEX, flex, dry_run=True
    )
    assert [(p.line, p.field) for p in report.problems] == [(4, "quantity")]
