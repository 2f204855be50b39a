"""The market snapshot: computed once and shared until the ticker replaces it."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from eqr.market_data.v1 import events_pb2
from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.service import MarketDataApp
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.market import MarketSnapshot
from eqr_market_data.domain.model import AssetClass, Bar, Instrument, Quote
from eqr_market_data.wire import snapshot_from_pb, snapshot_to_pb
from eqr_platform.cache import SingleFlight

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
EQUITIES = [f"EQ{i:02d}" for i in range(12)]
UNIVERSE = [
    Instrument("^GSPC", "S&P 500", "INDEX", "USD", AssetClass.INDEX, country=""),
    Instrument("XLE", "Energy Select Sector SPDR", "NYSE", "USD", AssetClass.ETF, sector="Energy"),
    *(
        Instrument(s, s.title(), "NYSE", "USD", AssetClass.EQUITY, "Energy", "Oil", shares_outstanding=10**6)
        for s in EQUITIES
    ),
]


def _quote(symbol: str, change: float, volume: int) -> Quote:
    return Quote(
        symbol,
        100 + change,
        100,
        100 + max(change, 0),
        100 + min(change, 0),
        100,
        volume,
        NOW,
        "fake",
        99.9,
        100.1,
    )


def _quotes(shift: float = 0.0) -> dict[str, Quote]:
    quotes = {"^GSPC": _quote("^GSPC", 12.5, 0), "XLE": _quote("XLE", -0.5, 5_000)}
    # EQ00 -6, EQ01 -5, ... EQ11 +5 (+ shift); volumes rise with the index
    quotes.update((s, _quote(s, i - 6 + shift, 1_000 * (i + 1))) for i, s in enumerate(EQUITIES))
    return quotes


@dataclass
class CountingQuotes:
    quotes: dict[str, Quote] = field(default_factory=_quotes)
    scans: int = 0
    release: asyncio.Event | None = None

    async def all_quotes(self) -> dict[str, Quote]:
        self.scans += 1
        if self.release is not None:
            await self.release.wait()
        return self.quotes


class EncodedOverviewCache:
    """Keeps the snapshot encoded, as the Redis adapter does."""

    def __init__(self) -> None:
        self.value: bytes | None = None

    async def get(self) -> MarketSnapshot | None:
        return (
            None if self.value is None else snapshot_from_pb(events_pb2.MarketUpdated.FromString(self.value))
        )

    async def put(self, snapshot: MarketSnapshot) -> None:
        self.value = snapshot_to_pb(snapshot).SerializeToString()


class NoHistoryStore:
    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        return []


class AlwaysOpen:
    def is_open(self, at: datetime) -> bool:
        return True


class FixedClock:
    def now(self) -> datetime:
        return NOW


def _app(quotes: CountingQuotes, cache: EncodedOverviewCache) -> MarketDataApp:
    directory = InstrumentDirectory(
        Universe(UNIVERSE),
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        SingleFlight(),
        FixedClock(),
        refresh_every=timedelta(days=1),
    )
    return MarketDataApp(
        directory,
        NoHistoryStore(),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        quotes,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        cache,
        SingleFlight(),
        AlwaysOpen(),  # type: ignore[arg-type]
        FixedClock(),
    )


def _symbols(pairs: list[tuple[Instrument, Quote]]) -> list[str]:
    return [instrument.symbol for instrument, _ in pairs]


async def test_the_overview_is_computed_once_then_read_from_the_cache() -> None:
    quotes, cache = CountingQuotes(), EncodedOverviewCache()
    app = _app(quotes, cache)
    first, status = await app.overview()
    second, _ = await app.overview()
    assert status == "open"
    assert quotes.scans == 1
    assert second == first
    assert _symbols(first.indices) == ["^GSPC"]
    assert _symbols(first.sectors) == ["XLE"]
    assert _symbols(first.gainers) == ["EQ11", "EQ10", "EQ09", "EQ08", "EQ07"]
    assert _symbols(first.losers) == ["EQ00", "EQ01", "EQ02", "EQ03", "EQ04", "EQ05"]
    assert first.breadth.advancers == 5
    assert first.breadth.decliners == 6
    assert first.breadth.unchanged == 1


async def test_concurrent_misses_compute_the_snapshot_once() -> None:
    release = asyncio.Event()
    quotes = CountingQuotes(release=release)
    app = _app(quotes, EncodedOverviewCache())
    readers = [asyncio.create_task(app.overview()) for _ in range(20)]
    await asyncio.sleep(0.01)
    release.set()
    results = await asyncio.gather(*readers)
    assert quotes.scans == 1
    assert all(market == results[0][0] for market, _ in results)


async def test_a_refresh_replaces_what_readers_get() -> None:
    quotes, cache = CountingQuotes(), EncodedOverviewCache()
    app = _app(quotes, cache)
    before, _ = await app.overview()
    quotes.quotes = _quotes(shift=10.0)  # every equity up now
    refreshed = await app.refresh_overview()
    after, _ = await app.overview()
    assert after == refreshed != before
    assert after.breadth.advancers == 12
    assert quotes.scans == 2


async def test_movers_up_to_ten_are_the_heads_of_the_snapshot_lists() -> None:
    quotes = CountingQuotes()
    app = _app(quotes, EncodedOverviewCache())
    market, _ = await app.overview()
    top = await app.movers(3)
    assert _symbols(top.gainers) == _symbols(market.gainers)[:3] == ["EQ11", "EQ10", "EQ09"]
    assert _symbols(top.losers) == ["EQ00", "EQ01", "EQ02"]
    assert _symbols(top.most_active) == ["EQ11", "EQ10", "EQ09"]
    assert quotes.scans == 1
    longer = await app.movers(12)
    assert _symbols(longer.most_active) == list(reversed(EQUITIES))
    assert quotes.scans == 2


def test_the_snapshot_survives_its_encoding() -> None:
    instruments = {i.symbol: i for i in UNIVERSE}
    quotes = _quotes()
    market = MarketSnapshot(
        as_of=NOW,
        indices=[(instruments["^GSPC"], quotes["^GSPC"])],
        sectors=[(instruments["XLE"], quotes["XLE"])],
        gainers=[(instruments["EQ11"], quotes["EQ11"])],
        losers=[(instruments["EQ00"], quotes["EQ00"])],
        most_active=[(instruments["EQ11"], replace(quotes["EQ11"], stale=True))],
    )
    assert snapshot_from_pb(snapshot_to_pb(market)) == market
    no_book = replace(quotes["^GSPC"], bid=math.nan, ask=math.nan)
    [(_, decoded)] = snapshot_from_pb(
        snapshot_to_pb(replace(market, indices=[(instruments["^GSPC"], no_book)]))
    ).indices
    assert math.isnan(decoded.bid)
    assert math.isnan(decoded.ask)
