"""InstrumentDirectory: an unknown symbol is looked up through the sources (and stored) before
it is unknown; the found-nowhere are remembered for a while; batches look nothing up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.errors import SourceUnavailable, UnknownSymbol
from eqr_market_data.domain.model import AssetClass, Instrument
from eqr_platform.cache import SingleFlight

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.moment = NOW

    def now(self) -> datetime:
        return self.moment


def _instrument(symbol: str, source: str = "alphavantage") -> Instrument:
    return Instrument(symbol, f"{symbol} Inc.", "NYSE", "USD", AssetClass.EQUITY, source=source)


@dataclass
class Store:
    rows: dict[str, Instrument] = field(default_factory=dict)
    reads: int = 0

    async def upsert_instruments(self, instruments: Sequence[Instrument]) -> None:
        self.rows.update((i.symbol, i) for i in instruments)

    async def instruments(self) -> list[Instrument]:
        self.reads += 1
        return list(self.rows.values())


@dataclass
class Sources:
    listed: dict[str, Instrument] = field(default_factory=dict)
    failing: bool = False
    asked: list[str] = field(default_factory=list)

    async def instrument(self, symbol: str) -> Instrument:
        self.asked.append(symbol)
        if self.failing:
            raise SourceUnavailable(f"instrument {symbol}", ["alphavantage: HTTP 503"])
        if symbol not in self.listed:
            raise UnknownSymbol(symbol)
        return self.listed[symbol]

    def rank(self, source: str) -> int:
        return 0 if source == "alphavantage" else 1


def _directory(store: Store, sources: Sources, clock: Clock) -> InstrumentDirectory:
    return InstrumentDirectory(
        Universe([_instrument("KO")]),
        store,  # type: ignore[arg-type]
        sources,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]  # every instrument here is the primary's description
        SingleFlight(),
        clock,
        refresh_every=timedelta(hours=24),
        forget_unknown_after=timedelta(minutes=10),
        reload_every=timedelta(seconds=30),
    )


async def test_an_unknown_symbol_found_at_a_source_is_stored_and_known_from_then_on() -> None:
    store, sources, clock = Store(), Sources({"TSCO": _instrument("TSCO")}), Clock()
    directory = _directory(store, sources, clock)
    assert (await directory.get("TSCO")).name == "TSCO Inc."
    assert store.rows["TSCO"].source == "alphavantage"
    assert await directory.known(["KO", "TSCO"]) == ["KO", "TSCO"]
    await directory.get("TSCO")
    assert sources.asked == ["TSCO"]


async def test_a_symbol_found_nowhere_is_unknown_for_a_while() -> None:
    sources, clock = Sources(), Clock()
    directory = _directory(Store(), sources, clock)
    for _ in range(3):
        with pytest.raises(UnknownSymbol):
            await directory.get("NOPE")
    assert sources.asked == ["NOPE"]
    clock.moment += timedelta(minutes=10)
    with pytest.raises(UnknownSymbol):
        await directory.get("NOPE")
    assert sources.asked == ["NOPE", "NOPE"]


async def test_sources_that_cannot_answer_leave_the_symbol_undecided() -> None:
    sources = Sources(failing=True)
    directory = _directory(Store(), sources, Clock())
    for _ in range(2):
        with pytest.raises(SourceUnavailable):
            await directory.get("TSCO")
    assert sources.asked == ["TSCO", "TSCO"]  # not remembered as unknown


async def test_batches_look_nothing_up_and_reread_the_store_at_most_every_so_often() -> None:
    store, sources, clock = Store(), Sources({"TSCO": _instrument("TSCO")}), Clock()
    directory = _directory(store, sources, clock)
    assert await directory.known(["KO", "TSCO", "NOPE"]) == ["KO"]
    store.rows["TSCO"] = _instrument("TSCO")  # another replica looked it up
    assert await directory.known(["TSCO"]) == []
    clock.moment += timedelta(seconds=30)
    assert await directory.known(["TSCO", "NOPE"]) == ["TSCO"]
    assert (store.reads, sources.asked) == (2, [])
