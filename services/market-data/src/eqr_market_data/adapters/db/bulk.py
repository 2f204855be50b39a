"""Bulk upserts: binary COPY into a transaction-scoped staging table, then one INSERT ... ON CONFLICT.

COPY is the fastest way into PostgreSQL but cannot resolve conflicts; the staging table
(``LIKE`` the target, dropped at commit) lets one set-based statement insert new rows and
replace existing ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

from psycopg import AsyncConnection as DriverConnection
from psycopg import sql
from sqlalchemy import Table, column, select, table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")
K = TypeVar("K", bound=tuple[Any, ...] | str)


def unique_by_key(items: Iterable[T], key: Callable[[T], K]) -> list[T]:
    """One item per key (the last one given, as a statement may not upsert a row twice), in key
    order, so concurrent writers lock rows in the same order and never deadlock each other."""
    latest = {key(item): item for item in items}
    return [latest[k] for k in sorted(latest)]


async def copy_upsert(
    conn: AsyncConnection, target: Table, columns: Sequence[str], records: Iterable[tuple[Any, ...]]
) -> int:
    """Upserts ``records`` (tuples in ``columns`` order, unique by the primary key) into ``target``,
    in the connection's transaction; returns how many rows were written."""
    staging = f"{target.name}_staging"
    driver = await _driver(conn)
    async with driver.cursor() as cursor:
        await cursor.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {}) ON COMMIT DROP").format(
                sql.Identifier(staging), sql.SQL(conn.dialect.identifier_preparer.format_table(target))
            )
        )
        copy_statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(staging), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        async with cursor.copy(copy_statement) as copy:
            copy.set_types([_type_name(conn, target, name) for name in columns])
            for record in records:
                await copy.write_row(record)
    key = [c.name for c in target.primary_key.columns]
    staged = table(staging, *(column(name) for name in columns))
    statement = pg_insert(target).from_select(list(columns), select(*staged.c))
    upsert = statement.on_conflict_do_update(
        index_elements=key,
        set_={name: statement.excluded[name] for name in columns if name not in key},
    )
    result = await conn.execute(upsert.execution_options(preserve_rowcount=True))
    return result.rowcount


async def _driver(conn: AsyncConnection) -> DriverConnection[Any]:
    """psycopg's own connection under SQLAlchemy's, inside the same transaction."""
    pooled = await conn.get_raw_connection()
    return cast("DriverConnection[Any]", pooled.driver_connection)


def _type_name(conn: AsyncConnection, target: Table, name: str) -> str:
    """The column's PostgreSQL type as psycopg's binary COPY names it (``double precision``, ``text[]``)."""
    return target.c[name].type.compile(dialect=conn.dialect).lower()
