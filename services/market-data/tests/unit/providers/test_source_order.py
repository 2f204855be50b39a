"""MARKET_DATA_SOURCES=alphavantage,simulator, the issue's own example, through the composed
service (``composition.compose``) over in-memory ports: Alpha Vantage (recorded answers over a
fake HTTP transport) serves quotes, daily history, instruments, search and news; the simulator
serves what Alpha Vantage cannot, and every reply names the source that served it (ADR 16)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from eqr_market_data.adapters.providers import AlphaVantageSource, Resilience
from eqr_market_data.adapters.simulator_on_demand import OnDemandSimulator
from eqr_market_data.app.ports import CloseSlice, PackedBars, PackedCloses
from eqr_market_data.composition import Composed, ConfiguredSources, Ports, compose
from eqr_market_data.domain.errors import UnknownSymbol
from eqr_market_data.domain.events import BarsImported
from eqr_market_data.domain.market import MarketSnapshot
from eqr_market_data.domain.model import (
    Bar,
    CorporateAction,
    Financials,
    Instrument,
    Interval,
    NewsItem,
    Period,
    Quote,
)
from eqr_market_data.domain.quality import QualityIssue, Severity
from eqr_market_data.domain.simulator.market import SimulatedMarket
from eqr_market_data.settings import MarketDataSettings
from eqr_market_data.wire import history_to_pb, pack_bars, read_packed, unpack_bars
from eqr_platform.resilience import CircuitBreaker, RateLimiter, RetryPolicy

NOW = datetime(2024, 2, 9, 19, 0, tzinfo=UTC)  # Friday 14:00 in New York: the market is open
FIRST_SESSION = date(2024, 1, 2)


# --- in-memory ports ---------------------------------------------------------------------


@dataclass
class MemoryStore:
    instrument_rows: dict[str, Instrument] = field(default_factory=dict)
    bars: dict[str, dict[date, Bar]] = field(default_factory=lambda: defaultdict(dict))
    actions: list[CorporateAction] = field(default_factory=list)
    news_items: dict[str, NewsItem] = field(default_factory=dict)
    statements: dict[tuple[str, str, date], Financials] = field(default_factory=dict)
    issues: list[QualityIssue] = field(default_factory=list)

    async def upsert_instruments(self, instruments: Sequence[Instrument]) -> None:
        self.instrument_rows.update((i.symbol, i) for i in instruments)

    async def instruments(self) -> list[Instrument]:
        return list(self.instrument_rows.values())

    async def save_daily_bars(
        self, bars: Sequence[Bar], issues: Sequence[QualityIssue] = (), event: BarsImported | None = None
    ) -> int:
        for bar in bars:
            self.bars[bar.symbol][bar.start.date()] = bar
        self.issues += issues
        return len(bars)

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        return [self.bars[symbol][d] for d in sorted(self.bars[symbol]) if start <= d <= end]

    async def daily_bars_many(self, ranges: Sequence[tuple[str, date, date]]) -> list[list[Bar]]:
        return [await self.daily_bars(*r) for r in ranges]

    async def save_corporate_actions(self, actions: Sequence[CorporateAction]) -> None:
        self.actions += actions

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        return [a for a in self.actions if a.symbol == symbol]

    async def save_financials(self, items: Sequence[Financials]) -> None:
        self.statements.update(((f.symbol, f.period.value, f.fiscal_date), f) for f in items)

    async def financials(self, symbol: str, period: Period, limit: int) -> list[Financials]:
        mine = [f for (s, p, _), f in self.statements.items() if s == symbol and p == period.value]
        return sorted(mine, key=lambda f: f.fiscal_date, reverse=True)[:limit]

    async def save_news(self, items: Sequence[NewsItem]) -> None:
        self.news_items.update((n.id, n) for n in items)

    async def news(self, symbol: str | None, limit: int, since: datetime | None = None) -> list[NewsItem]:
        items = [
            n
            for n in self.news_items.values()
            if (symbol is None or symbol in n.symbols) and (since is None or n.published_at >= since)
        ]
        return sorted(items, key=lambda n: n.published_at, reverse=True)[:limit]

    async def record_quality_issues(self, issues: Sequence[QualityIssue]) -> None:
        self.issues += issues

    async def quality_counts(self, symbol: str | None = None) -> list[tuple[str, Severity, int]]:
        counts: dict[tuple[str, Severity], int] = defaultdict(int)
        for issue in self.issues:
            if symbol is None or issue.symbol == symbol:
                counts[(issue.check, issue.severity)] += 1
        return [(check, severity, n) for (check, severity), n in sorted(counts.items())]

    async def recent_quality_issues(self, symbol: str | None = None, limit: int = 50) -> list[QualityIssue]:
        return [i for i in reversed(self.issues) if symbol is None or i.symbol == symbol][:limit]


@dataclass
class DictQuoteCache:
    entries: dict[str, Quote] = field(default_factory=dict)

    async def get_many(self, symbols: Sequence[str]) -> dict[str, Quote]:
        return {s: self.entries[s] for s in symbols if s in self.entries}

    async def put_many(self, quotes: Sequence[Quote]) -> None:
        self.entries.update((q.symbol, q) for q in quotes)


class DictHistoryCache:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], bytes] = {}

    async def get(self, symbol: str, key: str) -> PackedBars | None:
        data = self.entries.get((symbol, key))
        return None if data is None else read_packed(data)

    async def put(self, symbol: str, key: str, bars: Sequence[Bar]) -> PackedBars:
        packed = pack_bars(bars)
        if bars:
            self.entries[(symbol, key)] = packed.data
        return packed

    def unpack(self, symbol: str, interval: Interval, packed: PackedBars) -> list[Bar]:
        return unpack_bars(symbol, interval, packed)

    async def invalidate(self, symbol: str) -> None:
        self.entries = {k: v for k, v in self.entries.items() if k[0] != symbol}

    async def revisions(self, symbols: Sequence[str]) -> list[int]:
        raise AssertionError("closes are not asked here")

    async def get_closes(self, slices: Sequence[CloseSlice]) -> list[PackedCloses | None]:
        raise AssertionError("closes are not asked here")

    async def put_closes(self, slices: Sequence[tuple[CloseSlice, Sequence[Bar]]]) -> list[PackedCloses]:
        raise AssertionError("closes are not asked here")


class NoOverviewCache:
    async def get(self) -> MarketSnapshot | None:
        return None

    async def put(self, snapshot: MarketSnapshot) -> None:
        return None


@dataclass
class Marks:
    clock: Clock
    until: dict[str, datetime] = field(default_factory=dict)

    async def claim(self, key: str, ttl_seconds: float) -> bool:
        if key in self.until and self.clock.now() < self.until[key]:
            return False
        self.until[key] = self.clock.now() + timedelta(seconds=ttl_seconds)
        return True

    async def hold(self, key: str, ttl_seconds: float) -> None:
        self.until[key] = self.clock.now() + timedelta(seconds=ttl_seconds)


class Clock:
    """The service's clock and, as seconds since the epoch, the provider adapter's."""

    def __init__(self) -> None:
        self.moment = NOW

    def now(self) -> datetime:
        return self.moment

    def __call__(self) -> float:
        return self.moment.timestamp()

    async def sleep(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


class Weekdays:
    """Weekday sessions from 2024 on (the simulator generates a few weeks in milliseconds)."""

    def sessions(self, start: date, end: date) -> list[date]:
        first = max(start, FIRST_SESSION)
        days = [first + timedelta(days=i) for i in range((end - first).days + 1)]
        return [d for d in days if d.weekday() < 5]

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return midnight + timedelta(hours=14, minutes=30), midnight + timedelta(hours=21)

    def is_open(self, at: datetime) -> bool:
        opens, closes = self.session_bounds(at.date())
        return at.weekday() < 5 and opens <= at < closes


# --- Alpha Vantage over a fake transport ---------------------------------------------------------


class AlphaVantage:
    """Answers by ``function:symbol``, else by ``function:*``; an exception is the transport
    failing. By default a quote of another symbol is the answer for a symbol it does not know,
    and corporate actions are the free plan's refusal (the adjusted series is premium)."""

    def __init__(self, recorded: Any) -> None:
        self.recorded = recorded
        self.answers: dict[str, Any] = {
            "GLOBAL_QUOTE:*": recorded("alphavantage", "global_quote_unknown.json"),
            "TIME_SERIES_DAILY_ADJUSTED:*": recorded("alphavantage", "information_premium_endpoint.json"),
        }
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        function = params["function"]
        key = f"{function}:{params.get('symbol') or params.get('tickers') or params.get('keywords')}"
        self.asked.append(key)
        answer = self.answers.get(key, self.answers.get(f"{function}:*"))
        assert answer is not None, f"unexpected request {key}"
        if isinstance(answer, Exception):
            raise answer
        return answer.response()

    def serve(self, key: str, name: str) -> None:
        self.answers[key] = self.recorded("alphavantage", name)

    def serve_body(self, key: str, body: dict[str, Any]) -> None:
        self.answers[key] = self.recorded(body=json.dumps(body).encode(), name=".json")

    def fail(self, key: str) -> None:
        self.answers[key] = httpx.ConnectError("connection refused")

    def quote_body(self, symbol: str, *, day: str, price: str, previous: str) -> dict[str, Any]:
        return {
            "Global Quote": {
                "01. symbol": symbol,
                "02. open": previous,
                "03. high": max(price, previous, key=float),
                "04. low": min(price, previous, key=float),
                "05. price": price,
                "06. volume": "1000",
                "07. latest trading day": day,
                "08. previous close": previous,
                "09. change": "0",
                "10. change percent": "0%",
            }
        }


@dataclass
class World:
    composed: Composed
    provider: AlphaVantage
    store: MemoryStore
    quote_cache: DictQuoteCache
    history_cache: DictHistoryCache
    clock: Clock


@pytest.fixture
async def world(recorded: Any, api_key: str) -> World:
    clock = Clock()
    provider = AlphaVantage(recorded)
    provider.serve("GLOBAL_QUOTE:IBM", "global_quote_ibm.json")  # 2024-02-09, today: current
    alphavantage = AlphaVantageSource(
        httpx.AsyncClient(transport=httpx.MockTransport(provider)),
        api_key,
        resilience=Resilience(
            limiter=RateLimiter(1000, 1, clock=clock, sleep=clock.sleep),
            breaker=CircuitBreaker(failure_threshold=1000, cool_down=60, clock=clock),
            retry=RetryPolicy(attempts=1),
        ),
        clock=clock,
        sleep=clock.sleep,
    )
    calendar = Weekdays()
    simulator = OnDemandSimulator(SimulatedMarket(42), calendar, clock, years=1)
    settings = MarketDataSettings.model_validate(
        {"sources": "alphavantage,simulator", "alphavantage_api_key": api_key, "simulator_history_years": 1}
    )
    store, quote_cache, history_cache = MemoryStore(), DictQuoteCache(), DictHistoryCache()
    ports = Ports(
        store=store,
        quote_cache=quote_cache,
        history_cache=history_cache,
        closes_cache=history_cache,
        overview_cache=NoOverviewCache(),
        marks=Marks(clock),
        feed=None,  # type: ignore[arg-type]  # no live market: nothing is streamed here
    )
    configured = ConfiguredSources([alphavantage, simulator], live=None, fallback=simulator)
    composed = await compose(settings, configured, ports, calendar=calendar, exchange=calendar, clock=clock)
    return World(composed, provider, store, quote_cache, history_cache, clock)


def _day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- quotes --------------------------------------------------------------------------------


async def test_quotes_come_from_alphavantage_and_the_simulator_serves_what_it_cannot(world: World) -> None:
    world.provider.fail("GLOBAL_QUOTE:MSFT")
    ibm = await world.composed.app.quote("ibm")
    assert (ibm.source, ibm.price, ibm.stale) == ("alphavantage", 186.34, False)
    msft = await world.composed.app.quote("MSFT")  # Alpha Vantage unreachable
    assert (msft.source, msft.stale) == ("simulated", False)
    quotes, unknown = await world.composed.app.quotes(["IBM", "MSFT", "KO", "NOPE"])
    assert [(q.symbol, q.source) for q in quotes] == [
        ("IBM", "alphavantage"),
        ("MSFT", "simulated"),
        ("KO", "simulated"),  # Alpha Vantage does not know it
    ]
    assert unknown == ["NOPE"]


async def test_a_bad_provider_quote_is_a_finding_and_is_not_served_as_fresh(world: World) -> None:
    wild = world.provider.quote_body("IBM", day="2024-02-09", price="1863.40", previous="184.36")
    world.provider.serve_body("GLOBAL_QUOTE:IBM", wild)
    old = world.provider.quote_body("MSFT", day="2024-02-07", price="414.05", previous="411.65")
    world.provider.serve_body("GLOBAL_QUOTE:MSFT", old)
    ibm = await world.composed.app.quote("IBM")
    msft = await world.composed.app.quote("MSFT")
    assert (ibm.source, ibm.stale) == ("simulated", False)
    assert (msft.source, msft.stale) == ("simulated", False)
    counts, recent = await world.composed.app.quality_report(None)
    assert counts == [("price_out_of_band", Severity.FLAGGED, 1), ("stale_quote", Severity.FLAGGED, 1)]
    assert {(i.symbol, i.check) for i in recent} == {("IBM", "price_out_of_band"), ("MSFT", "stale_quote")}


# --- daily history ---------------------------------------------------------------------------


async def test_daily_history_comes_from_alphavantage_and_is_stored(world: World) -> None:
    world.provider.serve("TIME_SERIES_DAILY:IBM", "time_series_daily_ibm.json")
    history = await world.composed.app.history(
        "IBM", Interval.D1, _day(date(2024, 2, 5)), NOW, adjusted=False
    )
    reply = history_to_pb(history)
    assert reply.source == "alphavantage"
    assert [bar.close for bar in reply.bars] == [185.58, 183.41, 183.74, 184.36, 186.34]
    # The closed days are stored as Alpha Vantage's; today's is the live bar, from the quote.
    assert [(d, b.source) for d, b in sorted(world.store.bars["IBM"].items())] == [
        (date(2024, 2, 5), "alphavantage"),
        (date(2024, 2, 6), "alphavantage"),
        (date(2024, 2, 7), "alphavantage"),
        (date(2024, 2, 8), "alphavantage"),
    ]
    asked = len(world.provider.asked)
    world.history_cache.entries.clear()
    again = history_to_pb(
        await world.composed.app.history("IBM", Interval.D1, _day(date(2024, 2, 5)), NOW, adjusted=False)
    )
    assert again.bars == reply.bars
    assert [k for k in world.provider.asked[asked:] if k.startswith("TIME_SERIES")] == []  # current: stored


async def test_daily_history_falls_back_to_the_simulator_until_alphavantage_answers(world: World) -> None:
    world.provider.fail("TIME_SERIES_DAILY:MSFT")
    world.provider.fail("GLOBAL_QUOTE:MSFT")
    first = history_to_pb(
        await world.composed.app.history("MSFT", Interval.D1, _day(date(2024, 2, 5)), NOW, adjusted=False)
    )
    assert first.source == "simulated"
    assert len(first.bars) == 5
    assert {b.source for b in world.store.bars["MSFT"].values()} == {"simulated"}

    # Alpha Vantage answers again: the fallback's days are not current for the first source.
    world.provider.serve("TIME_SERIES_DAILY:MSFT", "time_series_daily_ibm.json")
    world.provider.serve("GLOBAL_QUOTE:MSFT", "global_quote_ibm.json")
    world.history_cache.entries.clear()
    world.quote_cache.entries.clear()  # the quote cache's TTL has passed
    second = history_to_pb(
        await world.composed.app.history("MSFT", Interval.D1, _day(date(2024, 2, 5)), NOW, adjusted=False)
    )
    assert second.source == "alphavantage"
    assert {b.source for b in world.store.bars["MSFT"].values()} == {"alphavantage"}
    [replaced] = [i for i in world.store.issues if i.check == "replaced_bar"]
    assert (replaced.symbol, replaced.severity) == ("MSFT", Severity.FLAGGED)
    assert "4 stored days replaced" in replaced.message
    assert "came from simulated" in replaced.message


# --- instruments and search ------------------------------------------------------------------


async def test_instruments_are_described_by_alphavantage_and_by_the_simulator_when_it_fails(
    world: World,
) -> None:
    world.provider.serve("OVERVIEW:IBM", "overview_ibm.json")
    world.provider.fail("OVERVIEW:MSFT")
    ibm, quote = await world.composed.app.instrument("IBM")
    assert (ibm.source, ibm.sector, ibm.name) == (
        "alphavantage",
        "TECHNOLOGY",
        "International Business Machines",
    )
    assert quote is not None
    assert quote.source == "alphavantage"
    assert world.store.instrument_rows["IBM"].source == "alphavantage"
    msft, _ = await world.composed.app.instrument("MSFT")
    assert (msft.source, msft.name) == ("simulated", "Microsoft Corporation")


async def test_an_unknown_symbol_is_looked_up_through_the_sources_before_it_is_unknown(world: World) -> None:
    world.provider.serve("OVERVIEW:ZZZZ", "overview_ibm.json")
    world.provider.serve("OVERVIEW:NOPE", "empty.json")
    world.provider.serve("GLOBAL_QUOTE:ZZZZ", "global_quote_ibm.json")
    found, quote = await world.composed.app.instrument("zzzz")
    assert (found.symbol, found.source) == ("ZZZZ", "alphavantage")
    assert quote is not None
    assert (quote.symbol, quote.source) == ("ZZZZ", "alphavantage")
    assert world.store.instrument_rows["ZZZZ"].source == "alphavantage"
    quotes, unknown = await world.composed.app.quotes(["ZZZZ"])  # known to batch requests from now on
    assert ([q.symbol for q in quotes], unknown) == (["ZZZZ"], [])
    for _ in range(2):
        with pytest.raises(UnknownSymbol):
            await world.composed.app.instrument("NOPE")
    assert world.provider.asked.count("OVERVIEW:NOPE") == 1


async def test_search_asks_the_sources_when_nothing_known_matches(world: World) -> None:
    world.provider.serve("SYMBOL_SEARCH:tesco", "symbol_search_tesco.json")
    found = await world.composed.app.search("tesco", 5)
    assert found
    assert all(instrument.source == "alphavantage" for instrument, _ in found)
    assert any("TESCO" in instrument.name.upper() for instrument, _ in found)
    known = await world.composed.app.search("microsoft", 5)
    assert [i.symbol for i, _ in known][:1] == ["MSFT"]
    assert world.provider.asked.count("SYMBOL_SEARCH:microsoft") == 0


# --- news: stored, asked again once the refresh period has passed ------------------------------


async def test_news_is_refreshed_from_the_sources_once_its_period_has_passed(world: World) -> None:
    world.provider.serve("NEWS_SENTIMENT:IBM", "news_sentiment_ibm.json")
    first = await world.composed.app.news("IBM", 5)
    assert first
    assert {n.source for n in first} == {"alphavantage"}
    await world.composed.app.news("IBM", 5)
    assert world.provider.asked.count("NEWS_SENTIMENT:IBM") == 1
    world.clock.moment += timedelta(minutes=61)  # MARKET_DATA_NEWS_REFRESH_MINUTES=60 by default
    await world.composed.app.news("IBM", 5)
    assert world.provider.asked.count("NEWS_SENTIMENT:IBM") == 2


async def test_fundamentals_come_from_alphavantage(world: World) -> None:
    for function, name in (
        ("INCOME_STATEMENT", "income_statement_ibm.json"),
        ("BALANCE_SHEET", "balance_sheet_ibm.json"),
        ("CASH_FLOW", "cash_flow_ibm.json"),
    ):
        world.provider.serve(f"{function}:IBM", name)
    statements = await world.composed.app.fundamentals("IBM", Period.ANNUAL, 5)
    assert statements
    assert {f.source for f in statements} == {"alphavantage"}
