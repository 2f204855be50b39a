"""Users' own portfolio templates (the built-in ones live in code)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from eqr_portfolio.adapters.db.tables import templates
from eqr_portfolio.domain.templates import PortfolioTemplate


class SqlTemplateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, template_id: UUID, owner_id: UUID, template: PortfolioTemplate) -> None:
        await self._session.execute(
            insert(templates).values(
                id=template_id,
                owner_id=owner_id,
                name=template.name,
                description=template.description,
                weights={symbol: str(weight) for symbol, weight in template.weights.items()},
            )
        )

    async def list(self, owner_id: UUID) -> list[tuple[UUID, PortfolioTemplate]]:
        query = select(templates).where(templates.c.owner_id == owner_id).order_by(templates.c.created_at)
        return [
            (
                row["id"],
                PortfolioTemplate(
                    row["name"], row["description"], {s: Decimal(w) for s, w in row["weights"].items()}
                ),
            )
            for row in (await self._session.execute(query)).mappings()
        ]

    async def remove(self, owner_id: UUID, template_id: UUID) -> bool:
        result = await self._session.execute(
            delete(templates).where(templates.c.id == template_id, templates.c.owner_id == owner_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
