"""Saved strategies on real PostgreSQL: per-owner isolation, replace, pages, delete, no partial writes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from eqr_options.adapters.db.unit_of_work import SqlUnitOfWork
from eqr_options.app import saved
from eqr_options.app.batches import Limits
from eqr_options.app.dependencies import Dependencies
from eqr_options.app.errors import NotFound
from eqr_options.app.legs import LegSpec
from eqr_options.domain.errors import ValidationFailed
from eqr_options.domain.strategies import LegKind

LEGS = (
    LegSpec(LegKind.STOCK, 100, premium=190.0),
    LegSpec(LegKind.CALL, -1, premium=3.2, strike=200.0, expiry=date(2027, 1, 15), vol=0.27, multiplier=100),
)


class SteppingClock:
    """Each reading a second after the last, so creation order is unambiguous."""

    def __init__(self) -> None:
        self._now = datetime(2026, 11, 27, 12, tzinfo=UTC)

    def now(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now

    def monotonic(self) -> float:
        return 0.0


@pytest.fixture
def deps(engine: AsyncEngine) -> Dependencies:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    return Dependencies(
        unit_of_work=lambda: SqlUnitOfWork(sessions),
        clock=SteppingClock(),
        chains=None,  # type: ignore[arg-type]
        limits=Limits(10, 10),
        risk_free_rate=0.045,
        max_positions=10,
    )


def draft(symbol: str = "aapl", **changes: object) -> saved.Draft:
    fields: dict[str, object] = {
        "symbol": symbol,
        "name": "covered call",
        "legs": LEGS,
        "notes": "rolls monthly",
    }
    fields.update(changes)
    return saved.Draft(**fields)  # type: ignore[arg-type]


async def test_a_saved_strategy_reads_back_whole_and_only_for_its_owner(deps: Dependencies) -> None:
    owner, other = uuid.uuid4(), uuid.uuid4()
    created = await saved.save(deps, owner, None, draft())
    found = await saved.get(deps, owner, created.id)
    assert found == created
    assert (found.symbol, found.legs, found.notes) == ("AAPL", LEGS, "rolls monthly")
    for attempt in (
        lambda: saved.get(deps, other, created.id),
        lambda: saved.delete(deps, other, created.id),
        lambda: saved.save(deps, other, created.id, draft(notes="mine now")),
    ):
        with pytest.raises(NotFound):
            await attempt()
    assert (await saved.get(deps, owner, created.id)).notes == "rolls monthly"


async def test_replacing_keeps_the_id_and_creation_time(deps: Dependencies) -> None:
    owner = uuid.uuid4()
    created = await saved.save(deps, owner, None, draft())
    replaced = await saved.save(deps, owner, created.id, draft("msft", name="", notes="moved"))
    assert (replaced.id, replaced.created_at) == (created.id, created.created_at)
    assert replaced.updated_at > created.updated_at
    assert (replaced.symbol, replaced.name, replaced.notes) == ("MSFT", "custom", "moved")
    assert await saved.get(deps, owner, created.id) == replaced


async def test_pages_cover_every_strategy_once_in_creation_order(deps: Dependencies) -> None:
    owner = uuid.uuid4()
    ids = [(await saved.save(deps, owner, None, draft("SPY" if i % 2 else "AAPL"))).id for i in range(5)]
    seen, token = [], ""
    while True:
        page = await saved.list_saved(deps, owner, symbol="", page_size=2, page_token=token)
        seen += [s.id for s in page.strategies]
        token = page.next_page_token
        if not token:
            break
    assert seen == ids
    only_spy = await saved.list_saved(deps, owner, symbol="spy", page_size=0, page_token="")
    assert [s.id for s in only_spy.strategies] == ids[1::2]
    assert not (await saved.list_saved(deps, uuid.uuid4(), symbol="", page_size=0, page_token="")).strategies


async def test_delete_removes_it(deps: Dependencies) -> None:
    owner = uuid.uuid4()
    created = await saved.save(deps, owner, None, draft())
    await saved.delete(deps, owner, created.id)
    with pytest.raises(NotFound):
        await saved.get(deps, owner, created.id)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda: draft(symbol=""), "symbol"),
        (lambda: draft(notes="x" * 4001), "notes"),
        (lambda: draft(legs=()), "legs"),
        (
            lambda: draft(legs=(LegSpec(LegKind.CALL, 1, 1.0, 0.0, expiry_years=0.5, vol=0.2),)),
            "legs[0].strike",
        ),
    ],
)
async def test_bad_drafts_are_refused_and_nothing_is_written(
    deps: Dependencies, change: Callable[[], saved.Draft], field: str
) -> None:
    owner = uuid.uuid4()
    with pytest.raises(ValidationFailed) as error:
        await saved.save(deps, owner, None, change())
    assert error.value.violations[0].field == field
    assert not (await saved.list_saved(deps, owner, symbol="", page_size=0, page_token="")).strategies


@pytest.mark.parametrize(
    ("size", "token", "field"), [(-1, "", "page_size"), (0, "not-a-token", "page_token")]
)
async def test_bad_page_requests_name_the_field(
    deps: Dependencies, size: int, token: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        await saved.list_saved(deps, uuid.uuid4(), symbol="", page_size=size, page_token=token)
    assert error.value.violations[0].field == field
