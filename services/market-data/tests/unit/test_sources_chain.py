from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from eqr_market_data.app.ports import (
    MarketDataSource,
    NotFoundAtSource,
    NotSupported,
    RateLimited,
    SourceError,
)
from eqr_market_data.app.quality_log import QualityLog
from eqr_market_data.app.quote_quality import QuoteScreen
from eqr_market_data.app.sources import SourceChain
from eqr_market_data.domain.errors import SourceUnavailable, UnknownSymbol
from eqr_market_data.domain.model import (
    ActionKind,
    AssetClass,
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

NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    moment: datetime = NOW

    def now(self) -> datetime:
        return self.moment


@dataclass
class FakeSource:
    """Answers from its tables, or raises ``failure`` for every call when set."""

    name: str
    instruments: dict[str, Instrument] = field(default_factory=dict)
    quote_ages: dict[str, timedelta] = field(default_factory=dict)
    failure: SourceError | None = None
    calls: list[str] = field(default_factory=list)
    has_nothing: bool = False
    """Lists come back empty (no bars in the range, no news, no search match)."""
    actions: list[CorporateAction] = field(default_factory=list)
    prices: dict[str, float] = field(default_factory=dict)

    def _call(self, what: str) -> None:
        self.calls.append(what)
        if self.failure is not None:
            raise self.failure

    def _known(self, symbol: str) -> Instrument:
        if symbol not in self.instruments:
            raise NotFoundAtSource(f"{self.name} does not list {symbol}")
        return self.instruments[symbol]

    async def instrument(self, symbol: str) -> Instrument:
        self._call(f"instrument {symbol}")
        return self._known(symbol)

    async def search(self, query: str, limit: int) -> list[Instrument]:
        self._call(f"search {query}")
        if self.has_nothing:
            return []
        return [
            replace(i, source=self.name) for s, i in self.instruments.items() if s.startswith(query.upper())
        ][:limit]

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        self._call(f"quotes {','.join(symbols)}")
        return [
            Quote(
                s,
                self.prices.get(s, 100.0),
                99.0,
                101.0,
                98.0,
                99.5,
                1000,
                NOW - self.quote_ages.get(s, timedelta()),
                self.name,
            )
            for s in symbols
            if s in self.instruments
        ]

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        self._call(f"daily {symbol}")
        self._known(symbol)
        if self.has_nothing:
            return []
        day = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        return [Bar(symbol, Interval.D1, day, 1.0, 2.0, 0.5, 1.5, 10, self.name)]

    async def intraday_bars(
        self, symbol: str, interval: Interval, start: datetime, end: datetime
    ) -> list[Bar]:
        self._call(f"intraday {symbol}")
        self._known(symbol)
        if self.has_nothing:
            return []
        return [Bar(symbol, interval, start, 1.0, 2.0, 0.5, 1.5, 10, self.name)]

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        self._call(f"actions {symbol}")
        self._known(symbol)
        return self.actions

    async def fundamentals(self, symbol: str, period: Period) -> list[Financials]:
        self._call(f"fundamentals {symbol}")
        self._known(symbol)
        if self.has_nothing:
            return []
        return [Financials(symbol, period, date(2023, 12, 31), "USD", self.name, revenue=1.0)]

    async def news(self, symbol: str | None, limit: int) -> list[NewsItem]:
        self._call(f"news {symbol}")
        if self.has_nothing:
            return []
        return [NewsItem("n1", "headline", NOW, self.name, symbols=(symbol,) if symbol else ())]


def listing(*symbols: str) -> dict[str, Instrument]:
    return {s: Instrument(s, f"{s} Inc.", "NYSE", "USD", AssetClass.EQUITY) for s in symbols}


def chain(*sources: FakeSource, clock: FakeClock | None = None) -> SourceChain:
    return SourceChain(sources, clock or FakeClock(), max_quote_age=timedelta(minutes=15))


def test_the_chain_is_itself_a_market_data_source() -> None:
    source: MarketDataSource = chain(FakeSource("alphavantage"), FakeSource("simulated"))
    assert source.name == "alphavantage,simulated"


async def test_the_first_source_that_answers_serves() -> None:
    first = FakeSource("alphavantage", listing("AAPL"))
    second = FakeSource("simulated", listing("AAPL"))
    bars = await chain(first, second).daily_bars("AAPL", date(2024, 1, 2), date(2024, 1, 2))
    assert [bar.source for bar in bars] == ["alphavantage"]
    assert second.calls == []


@pytest.mark.parametrize(
    "failure",
    [
        NotSupported("no intraday on this plan"),
        RateLimited("5 calls per minute", retry_after=30),
        SourceError("HTTP 503"),
        NotFoundAtSource("unknown ticker"),
    ],
    ids=["not-supported", "rate-limited", "error", "not-found"],
)
async def test_a_failing_source_falls_through_to_the_next(failure: SourceError) -> None:
    first = FakeSource("alphavantage", listing("AAPL"), failure=failure)
    second = FakeSource("simulated", listing("AAPL"))
    bars = await chain(first, second).intraday_bars("AAPL", Interval.M5, NOW, NOW)
    assert [bar.source for bar in bars] == ["simulated"]
    assert first.calls == ["intraday AAPL"]


async def test_every_kind_of_data_falls_through() -> None:
    broken = FakeSource("yahoo", failure=SourceError("timeout"))
    good = FakeSource("simulated", listing("AAPL"))
    sources = chain(broken, good)
    assert (await sources.instrument("AAPL")).symbol == "AAPL"
    assert [i.symbol for i in await sources.search("AA", 5)] == ["AAPL"]
    assert await sources.corporate_actions("AAPL") == []
    assert (await sources.fundamentals("AAPL", Period.ANNUAL))[0].source == "simulated"
    assert (await sources.news("AAPL", 5))[0].source == "simulated"
    assert (await sources.news(None, 5))[0].symbols == ()
    assert (await sources.quote("AAPL")).source == "simulated"
    assert len(broken.calls) == 7


async def test_not_found_everywhere_is_an_unknown_symbol() -> None:
    sources = chain(FakeSource("alphavantage"), FakeSource("simulated"))
    with pytest.raises(UnknownSymbol):
        await sources.daily_bars("NOPE", date(2024, 1, 2), date(2024, 1, 3))
    with pytest.raises(UnknownSymbol):
        await sources.quote("NOPE")


async def test_not_found_where_the_rest_do_not_support_it_is_an_unknown_symbol() -> None:
    sources = chain(FakeSource("yahoo", failure=NotSupported("no fundamentals")), FakeSource("simulated"))
    with pytest.raises(UnknownSymbol):
        await sources.fundamentals("NOPE", Period.ANNUAL)


async def test_not_found_where_another_source_failed_is_unavailable_not_unknown() -> None:
    sources = chain(FakeSource("alphavantage", failure=SourceError("HTTP 500")), FakeSource("simulated"))
    with pytest.raises(SourceUnavailable) as caught:
        await sources.instrument("NOPE")
    assert caught.value.attempts == [
        "alphavantage: HTTP 500",
        "simulated: not found (simulated does not list NOPE)",
    ]


async def test_all_failing_lists_each_source_reason() -> None:
    sources = chain(
        FakeSource("alphavantage", failure=RateLimited("25 requests per day", retry_after=3600)),
        FakeSource("yahoo", failure=SourceError("HTTP 429")),
        FakeSource("finnhub", failure=NotSupported("no news on the free plan")),
    )
    with pytest.raises(SourceUnavailable) as caught:
        await sources.news("AAPL", 10)
    assert caught.value.attempts == [
        "alphavantage: rate limited (25 requests per day)",
        "yahoo: HTTP 429",
        "finnhub: not supported (no news on the free plan)",
    ]
    assert "no source could provide news of AAPL" in str(caught.value)


async def test_no_sources_is_unavailable() -> None:
    with pytest.raises(SourceUnavailable, match="none configured"):
        await chain().search("A", 5)


async def test_a_rate_limited_source_rests_until_its_retry_after() -> None:
    clock = FakeClock()
    limited = FakeSource("alphavantage", listing("AAPL"), failure=RateLimited("slow down", retry_after=60))
    fallback = FakeSource("simulated", listing("AAPL"))
    sources = chain(limited, fallback, clock=clock)

    await sources.instrument("AAPL")
    limited.failure = None
    clock.moment = NOW + timedelta(seconds=59)
    assert (await sources.instrument("AAPL")).source == "simulated"
    assert limited.calls == ["instrument AAPL"]

    clock.moment = NOW + timedelta(seconds=60)
    assert (await sources.instrument("AAPL")).symbol == "AAPL"
    assert limited.calls == ["instrument AAPL", "instrument AAPL"]
    assert len(fallback.calls) == 2


async def test_a_rate_limit_without_retry_after_rests_for_the_cooldown() -> None:
    clock = FakeClock()
    limited = FakeSource("yahoo", listing("AAPL"), failure=RateLimited("too many requests"))
    sources = SourceChain(
        [limited, FakeSource("simulated", listing("AAPL"))], clock, rate_limit_cooldown=timedelta(seconds=10)
    )
    await sources.instrument("AAPL")
    clock.moment = NOW + timedelta(seconds=9)
    await sources.instrument("AAPL")
    assert len(limited.calls) == 1
    clock.moment = NOW + timedelta(seconds=10)
    await sources.instrument("AAPL")
    assert len(limited.calls) == 2


async def test_a_resting_source_is_named_in_the_failure() -> None:
    limited = FakeSource("alphavantage", failure=RateLimited("slow down", retry_after=60))
    sources = chain(limited)
    with pytest.raises(SourceUnavailable):
        await sources.search("A", 5)
    with pytest.raises(SourceUnavailable) as caught:
        await sources.search("A", 5)
    assert caught.value.attempts == ["alphavantage: rate limited until 2024-06-03T15:01:00+00:00"]


async def test_a_stale_quote_falls_through_to_a_fresh_one() -> None:
    stale = FakeSource("alphavantage", listing("AAPL"), quote_ages={"AAPL": timedelta(hours=1)})
    fresh = FakeSource("simulated", listing("AAPL"), quote_ages={"AAPL": timedelta(seconds=3)})
    quote = await chain(stale, fresh).quote("AAPL")
    assert (quote.source, quote.stale) == ("simulated", False)


async def test_when_every_quote_is_stale_the_freshest_is_returned_marked_stale() -> None:
    older = FakeSource("alphavantage", listing("AAPL"), quote_ages={"AAPL": timedelta(hours=3)})
    newer = FakeSource("yahoo", listing("AAPL"), quote_ages={"AAPL": timedelta(hours=1)})
    oldest = FakeSource("simulated", listing("AAPL"), quote_ages={"AAPL": timedelta(days=2)})
    quote = await chain(older, newer, oldest).quote("AAPL")
    assert (quote.source, quote.stale, quote.timestamp) == ("yahoo", True, NOW - timedelta(hours=1))


async def test_a_quote_a_source_marks_stale_is_not_fresh() -> None:
    class StaleMarking(FakeSource):
        async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
            return [replace(quote, stale=True) for quote in await super().quotes(symbols)]

    first = StaleMarking("alphavantage", listing("AAPL"))
    second = FakeSource("simulated", listing("AAPL"))
    assert (await chain(first, second).quote("AAPL")).source == "simulated"


async def test_the_age_limit_is_exact() -> None:
    edge = FakeSource("alphavantage", listing("AAPL"), quote_ages={"AAPL": timedelta(minutes=15)})
    assert (await chain(edge).quote("AAPL")).stale is False


async def test_batch_quotes_ask_later_sources_only_for_what_is_missing_or_stale() -> None:
    first = FakeSource("alphavantage", listing("AAPL", "MSFT"), quote_ages={"MSFT": timedelta(hours=2)})
    second = FakeSource("simulated", listing("MSFT", "NVDA"))
    quotes = await chain(first, second).quotes(["AAPL", "MSFT", "NVDA", "AAPL", "NOPE"])
    assert [(q.symbol, q.source, q.stale) for q in quotes] == [
        ("AAPL", "alphavantage", False),
        ("MSFT", "simulated", False),
        ("NVDA", "simulated", False),
    ]
    assert first.calls == ["quotes AAPL,MSFT,NVDA,NOPE"]
    assert second.calls == ["quotes MSFT,NVDA,NOPE"]


async def test_batch_quotes_stop_asking_once_everything_is_fresh() -> None:
    first = FakeSource("simulated", listing("AAPL", "MSFT"))
    second = FakeSource("yahoo", listing("AAPL", "MSFT"))
    await chain(first, second).quotes(["AAPL", "MSFT"])
    assert second.calls == []


async def test_batch_quotes_fall_back_to_stale_ones_per_symbol() -> None:
    only = FakeSource("yahoo", listing("AAPL", "MSFT"), quote_ages={"MSFT": timedelta(days=1)})
    quotes = await chain(only, FakeSource("simulated", failure=SourceError("down"))).quotes(["AAPL", "MSFT"])
    assert [(q.symbol, q.stale) for q in quotes] == [("AAPL", False), ("MSFT", True)]


async def test_batch_quotes_from_no_working_source_are_unavailable() -> None:
    sources = chain(
        FakeSource("yahoo", failure=SourceError("down")), FakeSource("x", failure=NotSupported("-"))
    )
    with pytest.raises(SourceUnavailable):
        await sources.quotes(["AAPL"])
    with pytest.raises(SourceUnavailable):
        await sources.quote("AAPL")


async def test_batch_quotes_of_unknown_symbols_are_empty_not_an_error() -> None:
    assert await chain(FakeSource("simulated", listing("AAPL"))).quotes(["NOPE"]) == []
    assert await chain(FakeSource("simulated")).quotes([]) == []


async def test_other_exceptions_are_bugs_and_propagate() -> None:
    class Broken(FakeSource):
        async def instrument(self, symbol: str) -> Instrument:
            raise KeyError(symbol)

    with pytest.raises(KeyError):
        await chain(Broken("yahoo"), FakeSource("simulated", listing("AAPL"))).instrument("AAPL")


# --- an empty answer hands over (ADR 16) ---------------------------------------------------


async def test_an_empty_answer_hands_over_to_the_next_source() -> None:
    empty = FakeSource("alphavantage", listing("AAPL"), has_nothing=True)
    full = FakeSource("simulated", listing("AAPL"))
    sources = chain(empty, full)
    assert [b.source for b in await sources.daily_bars("AAPL", date(2024, 1, 2), date(2024, 1, 2))] == [
        "simulated"
    ]
    assert [b.source for b in await sources.intraday_bars("AAPL", Interval.M5, NOW, NOW)] == ["simulated"]
    assert [n.source for n in await sources.news("AAPL", 5)] == ["simulated"]
    assert [n.source for n in await sources.news(None, 5)] == ["simulated"]
    assert [i.source for i in await sources.search("AA", 5)] == ["simulated"]
    assert [f.source for f in await sources.fundamentals("AAPL", Period.ANNUAL)] == ["simulated"]
    assert empty.calls == [
        "daily AAPL",
        "intraday AAPL",
        "news AAPL",
        "news None",
        "search AA",
        "fundamentals AAPL",
    ]


async def test_when_every_source_has_nothing_the_answer_is_empty() -> None:
    sources = chain(
        FakeSource("alphavantage", listing("AAPL"), has_nothing=True),
        FakeSource("yahoo", failure=SourceError("HTTP 503")),
        FakeSource("simulated", listing("AAPL"), has_nothing=True),
    )
    assert await sources.daily_bars("AAPL", date(2024, 1, 2), date(2024, 1, 3)) == []
    assert await sources.news(None, 5) == []
    assert await sources.search("ZZ", 5) == []


async def test_daily_history_comes_with_the_actions_of_the_source_that_had_the_bars() -> None:
    split = CorporateAction("AAPL", date(2024, 1, 2), ActionKind.SPLIT, split_ratio=4.0, source="yahoo")
    made_up = CorporateAction("AAPL", date(2024, 1, 2), ActionKind.SPLIT, split_ratio=2.0, source="simulated")
    empty = FakeSource("alphavantage", listing("AAPL"), has_nothing=True, actions=[])
    yahoo = FakeSource("yahoo", listing("AAPL"), actions=[split])
    simulated = FakeSource("simulated", listing("AAPL"), actions=[made_up])
    history = await chain(empty, yahoo, simulated).daily_history("AAPL", date(2024, 1, 2), date(2024, 1, 2))
    assert (history.source, [b.source for b in history.bars], history.actions) == (
        "yahoo",
        ["yahoo"],
        [split],
    )
    assert empty.calls == ["daily AAPL"]  # no bars: its actions are not asked for
    assert simulated.calls == []


async def test_daily_history_without_the_sources_actions_keeps_the_bars() -> None:
    class NoActions(FakeSource):
        async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
            raise NotSupported("premium only")

    history = await chain(NoActions("alphavantage", listing("AAPL"))).daily_history(
        "AAPL", date(2024, 1, 2), date(2024, 1, 2)
    )
    assert (len(history.bars), history.actions, history.source) == (1, [], "alphavantage")


async def test_no_corporate_actions_from_the_first_source_is_an_answer() -> None:
    other = CorporateAction("AAPL", date(2024, 1, 2), ActionKind.SPLIT, split_ratio=2.0, source="simulated")
    second = FakeSource("simulated", listing("AAPL"), actions=[other])
    assert await chain(FakeSource("alphavantage", listing("AAPL")), second).corporate_actions("AAPL") == []
    assert second.calls == []


def test_sources_rank_imports_first_then_in_the_configured_order() -> None:
    sources = chain(FakeSource("alphavantage"), FakeSource("simulated"))
    assert sources.primary == "alphavantage"
    assert [sources.rank(s) for s in ("import", "alphavantage", "simulated", "yahoo")] == [-1, 0, 1, 2]
    assert chain().primary == ""


# --- quotes: judged at the last close while the market is shut, screened ----------------------


async def test_a_quote_from_the_last_close_stays_current_while_the_market_is_shut() -> None:
    saturday = NOW + timedelta(days=5)  # NOW is Monday 15:00 UTC; the quote is Monday's
    friday_close = NOW
    provider = FakeSource("alphavantage", listing("AAPL"))
    simulator = FakeSource("simulated", listing("AAPL"), quote_ages={"AAPL": NOW - saturday})  # ticking now
    clock = FakeClock(saturday)
    shut = SourceChain(
        [provider, simulator], clock, max_quote_age=timedelta(seconds=60), as_of=lambda: friday_close
    )
    quote = await shut.quote("AAPL")
    assert (quote.source, quote.stale) == ("alphavantage", False)
    assert simulator.calls == []
    # Measured to the clock's now, the same quote is a day old and the simulator would serve.
    assert (await chain(provider, simulator, clock=clock).quote("AAPL")).source == "simulated"


@dataclass
class MemoryFindings:
    recorded: list[QualityIssue] = field(default_factory=list)

    async def record_quality_issues(self, issues: Sequence[QualityIssue]) -> None:
        self.recorded += issues


async def test_a_quote_the_screen_flags_is_recorded_and_the_next_source_serves() -> None:
    findings = MemoryFindings()
    screen = QuoteScreen(QualityLog(findings), max_age=timedelta(minutes=15))  # type: ignore[arg-type]
    broken = FakeSource("alphavantage", listing("AAPL", "MSFT"), prices={"AAPL": 995.0, "MSFT": -1.0})
    simulator = FakeSource("simulated", listing("AAPL", "MSFT"))
    sources = SourceChain([broken, simulator], FakeClock(), screen=screen)
    for _ in range(2):
        quotes = await sources.quotes(["AAPL", "MSFT"])
        assert [(q.symbol, q.source, q.price, q.stale) for q in quotes] == [
            ("AAPL", "simulated", 100.0, False),
            ("MSFT", "simulated", 100.0, False),
        ]
    assert [(i.symbol, i.check, i.severity) for i in findings.recorded] == [
        ("AAPL", "price_out_of_band", Severity.FLAGGED),
        ("MSFT", "non_positive_price", Severity.REJECTED),
    ]  # once each, however often the same quote is met


async def test_a_flagged_quote_is_served_marked_stale_when_no_source_has_better() -> None:
    findings = MemoryFindings()
    screen = QuoteScreen(QualityLog(findings), max_age=timedelta(minutes=15))  # type: ignore[arg-type]
    only = FakeSource("alphavantage", listing("AAPL"), prices={"AAPL": 995.0})
    quote = await SourceChain([only], FakeClock(), screen=screen).quote("AAPL")
    assert (quote.price, quote.stale) == (995.0, True)


async def test_a_rejected_quote_from_the_only_source_is_unavailable_not_unknown() -> None:
    screen = QuoteScreen(QualityLog(MemoryFindings()), max_age=timedelta(minutes=15))  # type: ignore[arg-type]
    only = FakeSource("alphavantage", listing("AAPL"), prices={"AAPL": 0.0})
    with pytest.raises(SourceUnavailable, match="rejected by the quality checks"):
        await SourceChain([only], FakeClock(), screen=screen).quote("AAPL")
