"""Portfolios, their shares and who may read them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping, and_, delete, insert, literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from eqr_portfolio.adapters.db.tables import portfolios, shares
from eqr_portfolio.domain.access import AccessRole, Share
from eqr_portfolio.domain.transactions import CashMode, CostMethod, LedgerPolicy, Portfolio


def _portfolio(row: RowMapping) -> Portfolio:
    return Portfolio(
        id=row["id"],
        owner_id=row["owner_id"],
        name=row["name"],
        description=row["description"],
        base_currency=row["base_currency"],
        benchmark=row["benchmark"],
        policy=LedgerPolicy(CostMethod(row["cost_method"]), CashMode(row["cash_mode"]), row["allow_short"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        ledger_version=row["ledger_version"],
    )


def _columns(portfolio: Portfolio) -> dict[str, Any]:
    return {
        "name": portfolio.name,
        "description": portfolio.description,
        "base_currency": portfolio.base_currency,
        "benchmark": portfolio.benchmark,
        "cost_method": portfolio.policy.cost_method.value,
        "cash_mode": portfolio.policy.cash_mode.value,
        "allow_short": portfolio.policy.allow_short,
        "updated_at": portfolio.updated_at,
    }


_LIVE = portfolios.c.deleted_at.is_(None)


class SqlPortfolioRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, portfolio: Portfolio) -> None:
        await self._session.execute(
            insert(portfolios).values(
                id=portfolio.id,
                owner_id=portfolio.owner_id,
                created_at=portfolio.created_at,
                **_columns(portfolio),
            )
        )

    async def get(self, portfolio_id: UUID, *, for_update: bool = False) -> Portfolio | None:
        query = select(portfolios).where(portfolios.c.id == portfolio_id, _LIVE)
        if for_update:
            # Serialises ledger writes per portfolio: each write replays the ledger it checks.
            query = query.with_for_update()
        row = (await self._session.execute(query)).mappings().first()
        return _portfolio(row) if row else None

    async def update(self, portfolio: Portfolio) -> None:
        await self._session.execute(
            update(portfolios).where(portfolios.c.id == portfolio.id).values(**_columns(portfolio))
        )

    async def delete(self, portfolio_id: UUID, at: datetime) -> None:
        await self._session.execute(
            update(portfolios).where(portfolios.c.id == portfolio_id).values(deleted_at=at)
        )

    async def role_of(self, portfolio_id: UUID, user_id: UUID) -> AccessRole | None:
        owner = select(literal(AccessRole.OWNER.value).label("role")).where(
            portfolios.c.id == portfolio_id, portfolios.c.owner_id == user_id, _LIVE
        )
        shared = (
            select(shares.c.role)
            .join(portfolios, portfolios.c.id == shares.c.portfolio_id)
            .where(shares.c.portfolio_id == portfolio_id, shares.c.user_id == user_id, _LIVE)
        )
        role = (await self._session.execute(owner.union_all(shared).limit(1))).scalar()
        return AccessRole(role) if role else None

    async def list_visible(
        self, user_id: UUID, *, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[tuple[Portfolio, AccessRole]]:
        """Own and shared portfolios, oldest first, keyset-paged on (created_at, id)."""
        role = (
            select(shares.c.role)
            .where(shares.c.portfolio_id == portfolios.c.id, shares.c.user_id == user_id)
            .scalar_subquery()
        )
        query = select(portfolios, role.label("shared_role")).where(
            _LIVE, or_(portfolios.c.owner_id == user_id, role.is_not(None))
        )
        if after is not None:
            query = query.where(tuple_(portfolios.c.created_at, portfolios.c.id) > tuple_(*after))
        query = query.order_by(portfolios.c.created_at, portfolios.c.id).limit(limit)
        rows = (await self._session.execute(query)).mappings().all()
        return [
            (
                _portfolio(row),
                AccessRole.OWNER if row["owner_id"] == user_id else AccessRole(row["shared_role"]),
            )
            for row in rows
        ]

    async def visible_ids(self, user_id: UUID) -> list[UUID]:
        shared = select(shares.c.portfolio_id).where(shares.c.user_id == user_id)
        query = select(portfolios.c.id).where(
            _LIVE, or_(portfolios.c.owner_id == user_id, portfolios.c.id.in_(shared))
        )
        return list((await self._session.execute(query)).scalars())

    async def audience(self, portfolio_id: UUID) -> list[UUID]:
        """The owner and everyone the portfolio is shared with."""
        owner = select(portfolios.c.owner_id).where(portfolios.c.id == portfolio_id)
        shared = select(shares.c.user_id).where(shares.c.portfolio_id == portfolio_id)
        return list((await self._session.execute(owner.union(shared))).scalars())


class SqlShareRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def put(self, share: Share) -> None:
        statement = pg_insert(shares).values(
            portfolio_id=share.portfolio_id,
            user_id=share.user_id,
            email=share.email,
            role=share.role.value,
            created_at=share.created_at,
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[shares.c.portfolio_id, shares.c.user_id],
                set_={"role": statement.excluded.role, "email": statement.excluded.email},
            )
        )

    async def list(self, portfolio_id: UUID) -> list[Share]:
        rows = (
            await self._session.execute(
                select(shares).where(shares.c.portfolio_id == portfolio_id).order_by(shares.c.created_at)
            )
        ).mappings()
        return [
            Share(r["portfolio_id"], r["user_id"], r["email"], AccessRole(r["role"]), r["created_at"])
            for r in rows
        ]

    async def remove(self, portfolio_id: UUID, user_id: UUID) -> bool:
        result = await self._session.execute(
            delete(shares).where(and_(shares.c.portfolio_id == portfolio_id, shares.c.user_id == user_id))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
