"""Saved strategies: one row each, the legs as a JSON array."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eqr_options.adapters.db.tables import saved_strategies as table
from eqr_options.app.legs import LegSpec
from eqr_options.app.ports import SavedPosition, SavedStrategy
from eqr_options.domain.strategies import LegKind


def _leg_json(leg: LegSpec) -> dict[str, Any]:
    return {
        "kind": leg.kind.value,
        "quantity": leg.quantity,
        "premium": leg.premium,
        "strike": leg.strike,
        "expiry_years": leg.expiry_years,
        "expiry": leg.expiry.isoformat() if leg.expiry else None,
        "vol": leg.vol,
        "multiplier": leg.multiplier,
    }


def _leg(data: Mapping[str, Any]) -> LegSpec:
    return LegSpec(
        kind=LegKind(data["kind"]),
        quantity=float(data["quantity"]),
        premium=float(data["premium"]),
        strike=float(data["strike"]),
        expiry_years=float(data["expiry_years"]),
        expiry=date.fromisoformat(data["expiry"]) if data["expiry"] else None,
        vol=float(data["vol"]),
        multiplier=int(data["multiplier"]),
    )


def _values(strategy: SavedStrategy) -> dict[str, Any]:
    return {
        "symbol": strategy.symbol,
        "name": strategy.name,
        "legs": [_leg_json(leg) for leg in strategy.legs],
        "notes": strategy.notes,
        "updated_at": strategy.updated_at,
    }


def _strategy(row: RowMapping) -> SavedStrategy:
    return SavedStrategy(
        id=row["id"],
        owner=row["owner"],
        symbol=row["symbol"],
        name=row["name"],
        legs=tuple(_leg(leg) for leg in row["legs"]),
        notes=row["notes"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqlStrategyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, strategy: SavedStrategy) -> None:
        await self._session.execute(
            insert(table).values(
                id=strategy.id, owner=strategy.owner, created_at=strategy.created_at, **_values(strategy)
            )
        )

    async def get(self, owner: UUID, strategy_id: UUID) -> SavedStrategy | None:
        query = select(table).where(table.c.id == strategy_id, table.c.owner == owner)
        row = (await self._session.execute(query)).mappings().first()
        return None if row is None else _strategy(row)

    async def replace(self, strategy: SavedStrategy) -> bool:
        result = await self._session.execute(
            update(table)
            .where(table.c.id == strategy.id, table.c.owner == strategy.owner)
            .values(**_values(strategy))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def remove(self, owner: UUID, strategy_id: UUID) -> bool:
        result = await self._session.execute(
            delete(table).where(table.c.id == strategy_id, table.c.owner == owner)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def page(
        self, owner: UUID, *, symbol: str | None, after: SavedPosition | None, limit: int
    ) -> Sequence[SavedStrategy]:
        query = select(table).where(table.c.owner == owner)
        if symbol is not None:
            query = query.where(table.c.symbol == symbol)
        if after is not None:
            query = query.where(
                or_(
                    table.c.created_at > after.created_at,
                    (table.c.created_at == after.created_at) & (table.c.id > after.id),
                )
            )
        query = query.order_by(table.c.created_at, table.c.id).limit(limit)
        return [_strategy(row) for row in (await self._session.execute(query)).mappings()]
