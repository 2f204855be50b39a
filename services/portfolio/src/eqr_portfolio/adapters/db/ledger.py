"""The ledger's rows and the audit trail of every change to a portfolio."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping, Update, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from eqr_portfolio.adapters.db.tables import changes, portfolios, transactions
from eqr_portfolio.domain.history import Change
from eqr_portfolio.domain.transactions import Transaction, TransactionKind

_FIELDS = ("kind", "trade_date", "symbol", "quantity", "price", "amount", "ratio", "commission", "notes")


def _transaction(row: RowMapping) -> Transaction:
    return Transaction(
        id=row["id"],
        kind=TransactionKind(row["kind"]),
        trade_date=row["trade_date"],
        sequence=row["sequence"],
        symbol=row["symbol"],
        quantity=row["quantity"],
        price=row["price"],
        amount=row["amount"],
        ratio=row["ratio"],
        commission=row["commission"],
        notes=row["notes"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        deleted_at=row["deleted_at"],
    )


def _values(transaction: Transaction) -> dict[str, Any]:
    values = {name: getattr(transaction, name) for name in _FIELDS}
    values["kind"] = transaction.kind.value
    return values


class SqlTransactionRepository:
    """Every write also bumps the portfolio's ``ledger_version`` in the same transaction, which is
    what lets a reader trust a ledger it cached at that version."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _bump_version(self, portfolio_id: UUID) -> None:
        await self._session.execute(
            update(portfolios)
            .where(portfolios.c.id == portfolio_id)
            .values(ledger_version=portfolios.c.ledger_version + 1)
        )

    async def add_many(self, portfolio_id: UUID, entries: Sequence[Transaction]) -> list[Transaction]:
        """Inserts in the given order; the database assigns each its ledger ``sequence``."""
        if not entries:
            return []
        rows = [
            {
                "id": t.id,
                "portfolio_id": portfolio_id,
                "created_by": t.created_by,
                "created_at": t.created_at,
                **_values(t),
            }
            for t in entries
        ]
        result = await self._session.execute(
            insert(transactions).returning(transactions, sort_by_parameter_order=True), rows
        )
        stored = [_transaction(row) for row in result.mappings()]
        await self._bump_version(portfolio_id)
        return stored

    async def get(self, portfolio_id: UUID, transaction_id: UUID) -> Transaction | None:
        query = select(transactions).where(
            transactions.c.portfolio_id == portfolio_id, transactions.c.id == transaction_id
        )
        row = (await self._session.execute(query)).mappings().first()
        return _transaction(row) if row else None

    async def ledger(self, portfolio_id: UUID) -> list[Transaction]:
        """The live entries in ledger order."""
        query = (
            select(transactions)
            .where(transactions.c.portfolio_id == portfolio_id, transactions.c.deleted_at.is_(None))
            .order_by(transactions.c.trade_date, transactions.c.sequence)
        )
        return [_transaction(row) for row in (await self._session.execute(query)).mappings()]

    async def page(
        self,
        portfolio_id: UUID,
        *,
        include_deleted: bool,
        symbol: str | None,
        after: tuple[date, int] | None,
        limit: int,
    ) -> list[Transaction]:
        """Newest first by (trade_date, sequence); ``after`` is the last row's (trade_date, sequence)."""
        query = select(transactions).where(transactions.c.portfolio_id == portfolio_id)
        if not include_deleted:
            query = query.where(transactions.c.deleted_at.is_(None))
        if symbol:
            query = query.where(transactions.c.symbol == symbol)
        if after is not None:
            query = query.where(tuple_(transactions.c.trade_date, transactions.c.sequence) < tuple_(*after))
        query = query.order_by(transactions.c.trade_date.desc(), transactions.c.sequence.desc()).limit(limit)
        return [_transaction(row) for row in (await self._session.execute(query)).mappings()]

    async def replace(self, transaction: Transaction) -> None:
        await self._changed(
            update(transactions).where(transactions.c.id == transaction.id).values(**_values(transaction))
        )

    async def set_deleted(self, transaction_id: UUID, deleted_at: datetime | None) -> None:
        await self._changed(
            update(transactions).where(transactions.c.id == transaction_id).values(deleted_at=deleted_at)
        )

    async def _changed(self, statement: Update) -> None:
        """Runs an update of one entry and bumps the version of the portfolio it belongs to."""
        result = await self._session.execute(statement.returning(transactions.c.portfolio_id))
        for portfolio_id in result.scalars().all():
            await self._bump_version(portfolio_id)


class SqlChangeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, change: Change) -> None:
        await self._session.execute(
            insert(changes).values(
                portfolio_id=change.portfolio_id,
                actor_id=change.actor_id,
                action=change.action,
                subject_id=change.subject_id,
                details=change.details,
                occurred_at=change.occurred_at,
            )
        )

    async def page(self, portfolio_id: UUID, *, before: int | None, limit: int) -> list[Change]:
        """Newest first; ``before`` is the last row's id."""
        query = select(changes).where(changes.c.portfolio_id == portfolio_id)
        if before is not None:
            query = query.where(changes.c.id < before)
        query = query.order_by(changes.c.id.desc()).limit(limit)
        return [
            Change(
                portfolio_id=r["portfolio_id"],
                actor_id=r["actor_id"],
                action=r["action"],
                subject_id=r["subject_id"],
                details=r["details"],
                occurred_at=r["occurred_at"],
                id=r["id"],
            )
            for r in (await self._session.execute(query)).mappings()
        ]
