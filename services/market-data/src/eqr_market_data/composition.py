"""The use cases wired over their ports, from the settings: what ``bootstrap`` runs on real
infrastructure and what tests run over in-memory fakes.

``MARKET_DATA_SOURCES`` becomes the ordered chain (ADR 16): the simulator is the live market
(back-filled into the store, stepped by the ticker) only when it is first; anywhere else it is
a fallback source asked on demand. Each listed provider gets its API key and base URL; the
settings refuse a listed provider without its key, so none is ever dropped silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import httpx

from eqr_market_data.adapters.providers import AlphaVantageSource, FinnhubSource, YahooSource
from eqr_market_data.adapters.simulator import SimulatorSource
from eqr_market_data.adapters.simulator_on_demand import OnDemandSimulator
from eqr_market_data.app.closes import ClosesService
from eqr_market_data.app.daily_freshness import DailyFreshness
from eqr_market_data.app.daily_ingest import DailyIngest
from eqr_market_data.app.daily_supply import DailySupply
from eqr_market_data.app.documents import Documents
from eqr_market_data.app.history import HistoryService
from eqr_market_data.app.ingest import BarImporter
from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.market_hours import MarketHours
from eqr_market_data.app.ports import (
    Clock,
    ClosesCache,
    HistoryCache,
    MarketDataSource,
    MarketStore,
    OverviewCache,
    QuoteCache,
    QuoteFeed,
    RefreshMarks,
    TradingCalendar,
)
from eqr_market_data.app.quality_log import QualityLog
from eqr_market_data.app.quote_quality import QuoteScreen
from eqr_market_data.app.quotes import QuoteService
from eqr_market_data.app.refreshed import Refreshed
from eqr_market_data.app.service import MarketDataApp
from eqr_market_data.app.sources import SourceChain
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.simulator.market import SimulatedMarket
from eqr_market_data.settings import MarketDataSettings
from eqr_platform.cache import SingleFlight

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConfiguredSources:
    """The sources of ``MARKET_DATA_SOURCES``, in order."""

    sources: list[MarketDataSource]
    live: SimulatorSource | None = None
    """The simulator when it is first: back-filled into the store and stepped by the ticker."""
    fallback: OnDemandSimulator | None = None
    """The simulator anywhere else: asked on demand, nothing of its own running or stored."""


def configure_sources(
    settings: MarketDataSettings,
    http: httpx.AsyncClient,
    *,
    store: MarketStore,
    calendar: TradingCalendar,
    clock: Clock,
) -> ConfiguredSources:
    sources: list[MarketDataSource] = []
    live: SimulatorSource | None = None
    fallback: OnDemandSimulator | None = None
    for position, name in enumerate(settings.sources):
        if name != "simulator":
            sources.append(provider(name, settings, http))
            continue
        market = SimulatedMarket(settings.simulator_seed)
        years = settings.simulator_history_years
        if position == 0:
            live = SimulatorSource(market, store, calendar, years=years)
            sources.append(live)
        else:
            fallback = OnDemandSimulator(market, calendar, clock, years=years)
            sources.append(fallback)
    log.info(
        "market-data sources",
        extra={"sources": [source.name for source in sources], "live_simulator": live is not None},
    )
    return ConfiguredSources(sources, live, fallback)


def provider(name: str, settings: MarketDataSettings, http: httpx.AsyncClient) -> MarketDataSource:
    """A real provider's adapter, with its key and base URL from the settings."""
    if name == "alphavantage":
        return AlphaVantageSource(http, settings.api_key(name), base_url=settings.alphavantage_base_url)
    if name == "finnhub":
        return FinnhubSource(http, settings.api_key(name), base_url=settings.finnhub_base_url)
    if name == "yahoo":
        return YahooSource(http, base_url=settings.yahoo_base_url)
    raise ValueError(f"{name!r} is not a provider")


def source_chain(
    configured: ConfiguredSources,
    settings: MarketDataSettings,
    clock: Clock,
    *,
    exchange: TradingCalendar,
    quality: QualityLog | None = None,
) -> SourceChain:
    """``exchange``: the exchange's real hours (quote ages are measured to its last close while
    it is shut, whatever the simulator's calendar mode)."""
    max_age = timedelta(seconds=settings.quote_max_age_seconds)
    return SourceChain(
        configured.sources,
        clock,
        max_quote_age=max_age,
        as_of=MarketHours(exchange, clock).as_of,
        screen=QuoteScreen(quality, max_age=max_age) if quality is not None else None,
    )


def directory(
    universe: Universe,
    store: MarketStore,
    sources: SourceChain,
    marks: RefreshMarks,
    settings: MarketDataSettings,
    clock: Clock,
) -> InstrumentDirectory:
    return InstrumentDirectory(
        universe,
        store,
        sources,
        Refreshed(marks, SingleFlight()),
        SingleFlight(),
        clock,
        refresh_every=timedelta(hours=settings.instrument_refresh_hours),
    )


@dataclass(frozen=True)
class Ports:
    store: MarketStore
    quote_cache: QuoteCache
    history_cache: HistoryCache
    closes_cache: ClosesCache
    overview_cache: OverviewCache
    marks: RefreshMarks
    feed: QuoteFeed


@dataclass(frozen=True)
class Composed:
    app: MarketDataApp
    closes: ClosesService
    sources: SourceChain
    universe: Universe
    quality: QualityLog
    ingest: DailyIngest


async def compose(
    settings: MarketDataSettings,
    configured: ConfiguredSources,
    ports: Ports,
    *,
    calendar: TradingCalendar,
    exchange: TradingCalendar,
    clock: Clock,
) -> Composed:
    """The use cases over ``ports``; the universe is what the store holds (after the live
    simulator's back-fill, when there is one) plus a fallback simulator's listing."""
    store = ports.store
    quality = QualityLog(store)
    sources = source_chain(configured, settings, clock, exchange=exchange, quality=quality)
    universe = Universe(await store.instruments())
    if configured.fallback is not None:
        universe.add(i for i in configured.fallback.instruments if i.symbol not in universe)
    instruments = directory(universe, store, sources, ports.marks, settings, clock)
    quotes = QuoteService(
        instruments, sources, ports.quote_cache, SingleFlight(), max_batch=settings.max_batch_symbols
    )
    ingest = DailyIngest(store, ports.history_cache, calendar, sources.rank)
    daily = DailySupply(store, sources, ingest, DailyFreshness(calendar, clock, sources.rank))
    history = HistoryService(
        instruments, store, sources, daily, quotes, ports.history_cache, SingleFlight(), quality, clock
    )
    closes = ClosesService(
        instruments,
        store,
        daily,
        quotes,
        ports.closes_cache,
        SingleFlight(),
        clock,
        max_queries=settings.max_batch_symbols,
    )
    documents = Documents(
        store,
        sources,
        Refreshed(ports.marks, SingleFlight()),
        news_every=timedelta(minutes=settings.news_refresh_minutes),
        fundamentals_every=timedelta(hours=settings.fundamentals_refresh_hours),
    )
    app = MarketDataApp(
        instruments,
        store,
        sources,
        quotes,
        history,
        BarImporter(instruments, store, ingest, clock),
        documents,
        ports.feed,
        ports.overview_cache,
        SingleFlight(),
        calendar,
        clock,
    )
    return Composed(app, closes, sources, universe, quality, ingest)
