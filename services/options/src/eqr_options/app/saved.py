"""Each user's saved strategies: create or replace, get, list in cursor pages, delete.

Every use case acts for the caller; another user's strategy is NotFound, exactly like one
that does not exist, so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final
from uuid import UUID, uuid4

from eqr_options.app.dependencies import Dependencies
from eqr_options.app.errors import NotFound
from eqr_options.app.legs import LegSpec, strategy_from_specs
from eqr_options.app.ports import SavedPosition, SavedStrategy
from eqr_options.app.symbols import normalise_symbol
from eqr_options.domain.errors import FORBIDDEN_TEXT_CHARACTERS, ValidationFailed
from eqr_platform.paging import decode_page_token, encode_page_token, page_limit

MAX_NOTES_LENGTH: Final = 4_000
DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 200
_BAD_TOKEN: Final = "is not a token from a previous page"


@dataclass(frozen=True)
class Draft:
    symbol: str
    name: str
    legs: tuple[LegSpec, ...]
    notes: str


@dataclass(frozen=True)
class Page:
    strategies: list[SavedStrategy]
    next_page_token: str


def _checked(deps: Dependencies, draft: Draft) -> Draft:
    symbol = normalise_symbol(draft.symbol)
    if len(draft.notes) > MAX_NOTES_LENGTH:
        raise ValidationFailed.single("notes", f"must be at most {MAX_NOTES_LENGTH} characters")
    for field, text in (("name", draft.name), ("notes", draft.notes)):
        if FORBIDDEN_TEXT_CHARACTERS.search(text):
            raise ValidationFailed.single(
                field, "must not contain control characters (line breaks and tabs included)"
            )
    strategy_from_specs(draft.name, draft.legs, deps.clock.now().date())  # every leg must make sense
    return replace(draft, symbol=symbol, name=draft.name.strip() or "custom")


async def save(deps: Dependencies, owner: UUID, strategy_id: UUID | None, draft: Draft) -> SavedStrategy:
    """Create (no id) or replace the owner's strategy ``strategy_id``."""
    draft = _checked(deps, draft)
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        if strategy_id is None:
            saved = SavedStrategy(uuid4(), owner, draft.symbol, draft.name, draft.legs, draft.notes, now, now)
            await uow.strategies.add(saved)
        else:
            existing = await uow.strategies.get(owner, strategy_id)
            if existing is None:
                raise NotFound(f"saved strategy {strategy_id}")
            saved = replace(
                existing,
                symbol=draft.symbol,
                name=draft.name,
                legs=draft.legs,
                notes=draft.notes,
                updated_at=now,
            )
            await uow.strategies.replace(saved)
        await uow.commit()
    return saved


async def get(deps: Dependencies, owner: UUID, strategy_id: UUID) -> SavedStrategy:
    async with deps.unit_of_work() as uow:
        saved = await uow.strategies.get(owner, strategy_id)
    if saved is None:
        raise NotFound(f"saved strategy {strategy_id}")
    return saved


async def delete(deps: Dependencies, owner: UUID, strategy_id: UUID) -> None:
    async with deps.unit_of_work() as uow:
        if not await uow.strategies.remove(owner, strategy_id):
            raise NotFound(f"saved strategy {strategy_id}")
        await uow.commit()


def _encode(position: SavedPosition) -> str:
    return encode_page_token(position.created_at.isoformat(), str(position.id))


def _decode(token: str) -> SavedPosition:
    created_at, strategy_id = decode_page_token(token, 2)
    try:
        return SavedPosition(datetime.fromisoformat(str(created_at)), UUID(str(strategy_id)))
    except ValueError:
        raise ValidationFailed.single("page_token", _BAD_TOKEN) from None


async def list_saved(
    deps: Dependencies, owner: UUID, *, symbol: str, page_size: int, page_token: str
) -> Page:
    """The owner's strategies, oldest first, ``page_size`` at a time (only ``symbol``'s when set)."""
    limit = page_limit(page_size, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    after = _decode(page_token) if page_token else None
    only = normalise_symbol(symbol) if symbol.strip() else None
    async with deps.unit_of_work() as uow:
        found = list(await uow.strategies.page(owner, symbol=only, after=after, limit=limit + 1))
    more = len(found) > limit
    found = found[:limit]
    token = _encode(SavedPosition(found[-1].created_at, found[-1].id)) if more else ""
    return Page(found, token)
