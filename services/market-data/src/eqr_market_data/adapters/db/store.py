"""``MarketStore`` on PostgreSQL. Every write method is one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Row,
    Table,
    and_,
    any_,
    bindparam,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlalchemy.types import Text

from eqr_market_data.adapters.db import rows, tables
from eqr_market_data.adapters.db.bulk import copy_upsert, unique_by_key
from eqr_market_data.adapters.db.events import BARS_IMPORTED, bars_imported_message
from eqr_market_data.adapters.db.metrics import count_issues
from eqr_market_data.domain.events import BarsImported
from eqr_market_data.domain.model import (
    Bar,
    CorporateAction,
    Financials,
    Instrument,
    NewsItem,
    Period,
    Quote,
)
from eqr_market_data.domain.quality import QualityIssue, Severity
from eqr_platform.db import UnitOfWork

_Guard = Callable[[Insert], ColumnElement[bool]]
"""The condition under which an upsert replaces the existing row."""


def _newer_quote(statement: Insert) -> ColumnElement[bool]:
    return tables.latest_quotes.c.timestamp < statement.excluded["timestamp"]


class SqlMarketStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def upsert_instruments(self, instruments: Sequence[Instrument]) -> None:
        unique = unique_by_key(instruments, key=lambda i: i.symbol)
        await self._upsert(tables.instruments, [rows.instrument_values(i) for i in unique])

    async def instruments(self) -> list[Instrument]:
        t = tables.instruments
        result = await self._fetch(select(t).order_by(t.c.symbol))
        return [rows.instrument_from_row(row) for row in result]

    async def save_quotes(self, quotes: Sequence[Quote]) -> None:
        newest = unique_by_key(sorted(quotes, key=lambda q: q.timestamp), key=lambda q: q.symbol)
        await self._upsert(tables.latest_quotes, [rows.quote_values(q) for q in newest], only_if=_newer_quote)

    async def latest_quotes(self, symbols: Sequence[str] | None = None) -> dict[str, Quote]:
        t = tables.latest_quotes
        statement = select(t)
        if symbols is not None:
            if not symbols:
                return {}
            wanted = bindparam("symbols", list(symbols), type_=ARRAY(Text))
            statement = statement.where(t.c.symbol == any_(wanted))
        return {row.symbol: rows.quote_from_row(row) for row in await self._fetch(statement)}

    async def save_daily_bars(
        self,
        bars: Sequence[Bar],
        issues: Sequence[QualityIssue] = (),
        event: BarsImported | None = None,
    ) -> int:
        records = unique_by_key(map(rows.daily_bar_record, bars), key=lambda r: (r[0], r[1]))
        async with UnitOfWork(self._sessions, tables.outbox) as uow:
            conn = await uow.session.connection()
            written = await copy_upsert(conn, tables.daily_bars, rows.BAR_COLUMNS, records) if records else 0
            await _insert_issues(conn, issues)
            if event is not None:
                uow.publish(BARS_IMPORTED, bars_imported_message(event))
            await uow.commit()
        count_issues(issues)
        return written

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        t = tables.daily_bars
        statement = (
            select(*(t.c[name] for name in rows.BAR_COLUMNS))
            .where(t.c.symbol == symbol, t.c.day.between(start, end))
            .order_by(t.c.day)
        )
        return rows.daily_bars_from_rows(await self._fetch(statement))

    async def daily_bars_many(self, ranges: Sequence[tuple[str, date, date]]) -> list[list[Bar]]:
        if not ranges:
            return []
        t = tables.daily_bars
        statement = (
            select(*(t.c[name] for name in rows.BAR_COLUMNS))
            .where(or_(*(and_(t.c.symbol == s, t.c.day.between(first, last)) for s, first, last in ranges)))
            .order_by(t.c.symbol, t.c.day)
        )
        by_symbol: dict[str, list[Bar]] = defaultdict(list)
        for bar in rows.daily_bars_from_rows(await self._fetch(statement)):
            by_symbol[bar.symbol].append(bar)
        return [
            [bar for bar in by_symbol.get(symbol, ()) if first <= bar.start.date() <= last]
            for symbol, first, last in ranges
        ]

    async def last_daily_dates(self) -> dict[str, date]:
        t = tables.daily_bars
        result = await self._fetch(select(t.c.symbol, func.max(t.c.day).label("day")).group_by(t.c.symbol))
        return {row.symbol: row.day for row in result}

    async def save_intraday_bars(self, bars: Sequence[Bar]) -> int:
        records = unique_by_key(map(rows.intraday_bar_record, bars), key=lambda r: (r[0], r[1]))
        if not records:
            return 0
        async with self._engine.begin() as conn:
            return await copy_upsert(conn, tables.intraday_bars, rows.INTRADAY_BAR_COLUMNS, records)

    async def intraday_bars(self, symbol: str, start: datetime, end: datetime) -> list[Bar]:
        t = tables.intraday_bars
        statement = (
            select(*(t.c[name] for name in rows.INTRADAY_BAR_COLUMNS))
            .where(t.c.symbol == symbol, t.c.start.between(start, end))
            .order_by(t.c.start)
        )
        return rows.intraday_bars_from_rows(await self._fetch(statement))

    async def save_corporate_actions(self, actions: Sequence[CorporateAction]) -> None:
        unique = unique_by_key(actions, key=lambda a: (a.symbol, a.ex_date, a.kind))
        await self._upsert(tables.corporate_actions, [rows.action_values(a) for a in unique])

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        t = tables.corporate_actions
        statement = select(t).where(t.c.symbol == symbol).order_by(t.c.ex_date, t.c.kind)
        return [rows.action_from_row(row) for row in await self._fetch(statement)]

    async def save_financials(self, items: Sequence[Financials]) -> None:
        unique = unique_by_key(items, key=lambda f: (f.symbol, f.period, f.fiscal_date))
        await self._upsert(tables.financials, [rows.financials_values(f) for f in unique])

    async def financials(self, symbol: str, period: Period, limit: int) -> list[Financials]:
        t = tables.financials
        statement = (
            select(t)
            .where(t.c.symbol == symbol, t.c.period == period.value)
            .order_by(t.c.fiscal_date.desc())
            .limit(limit)
        )
        return [rows.financials_from_row(row) for row in await self._fetch(statement)]

    async def save_news(self, items: Sequence[NewsItem]) -> None:
        unique = unique_by_key(items, key=lambda n: n.id)
        await self._upsert(tables.news, [rows.news_values(n) for n in unique])

    async def news(self, symbol: str | None, limit: int, since: datetime | None = None) -> list[NewsItem]:
        """Newest first; ``symbol=None`` for every item; ``since`` keeps items published at or after it."""
        t = tables.news
        statement = select(t).order_by(t.c.published_at.desc(), t.c.id.desc()).limit(limit)
        if symbol is not None:
            statement = statement.where(t.c.symbols.contains([symbol]))
        if since is not None:
            statement = statement.where(t.c.published_at >= since)
        return [rows.news_from_row(row) for row in await self._fetch(statement)]

    async def record_quality_issues(self, issues: Sequence[QualityIssue]) -> None:
        async with self._engine.begin() as conn:
            await _insert_issues(conn, issues)
        count_issues(issues)

    async def quality_counts(self, symbol: str | None = None) -> list[tuple[str, Severity, int]]:
        t = tables.quality_issues
        statement = (
            select(t.c.check, t.c.severity, func.count().label("issues"))
            .group_by(t.c.check, t.c.severity)
            .order_by(t.c.check, t.c.severity)
        )
        if symbol is not None:
            statement = statement.where(t.c.symbol == symbol)
        return [(row.check, Severity(row.severity), row.issues) for row in await self._fetch(statement)]

    async def recent_quality_issues(self, symbol: str | None = None, limit: int = 50) -> list[QualityIssue]:
        t = tables.quality_issues
        statement = select(t).order_by(t.c.id.desc()).limit(limit)
        if symbol is not None:
            statement = statement.where(t.c.symbol == symbol)
        return [rows.issue_from_row(row) for row in await self._fetch(statement)]

    async def _fetch(self, statement: Executable) -> Sequence[Row[Any]]:
        async with self._engine.connect() as conn:
            return (await conn.execute(statement)).all()

    async def _upsert(
        self, table: Table, values: list[dict[str, Any]], only_if: _Guard | None = None
    ) -> None:
        if not values:
            return
        statement = pg_insert(table)
        key = [c.name for c in table.primary_key.columns]
        upsert = statement.on_conflict_do_update(
            index_elements=key,
            set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in key},
            where=only_if(statement) if only_if else None,
        )
        async with self._engine.begin() as conn:
            await conn.execute(upsert, values)


async def _insert_issues(conn: AsyncConnection, issues: Sequence[QualityIssue]) -> None:
    if issues:
        await conn.execute(insert(tables.quality_issues), [rows.issue_values(i) for i in issues])
