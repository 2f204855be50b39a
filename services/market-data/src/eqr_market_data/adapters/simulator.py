"""The built-in market simulator as a source: stored history, live ticks, generated extras.

History: at start-up ``backfill`` stores the deterministic daily bars (same seed, same
market) for the trading days the store lacks, through the quality checks like any ingest.
Where the store already has days (from an earlier run, possibly closed live), generated
prices after them are rescaled to continue from the stored close, so the series stays
continuous. Days another version of the simulator stored (its first kept close is not today's
model's, e.g. from before the market had splits) are generated again, whole.

Live: ``advance`` moves every price one correlated step, keeps each symbol's running day
(open, high, low, volume) and one-minute bars, and closes the day when the New York date
changes. A closed trading day's bars are handed over for storage; a closed non-trading day
(ticking at any hour in ``always`` mode) is only a display, and prices restart from the
last stored close.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from eqr_market_data.app.ports import NotFoundAtSource, NotSupported, Tick, TradingCalendar
from eqr_market_data.domain.errors import UnknownSymbol
from eqr_market_data.domain.model import (
    Bar,
    CorporateAction,
    Financials,
    Instrument,
    Interval,
    NewsItem,
    Period,
    Quote,
    Source,
)
from eqr_market_data.domain.quality import QualityIssue
from eqr_market_data.domain.quality_checks import QualityPolicy, check_bars
from eqr_market_data.domain.resample import NEW_YORK
from eqr_market_data.domain.simulator.market import SimulatedMarket

log = logging.getLogger("eqr.market_data.simulator")

EPOCH = date(2010, 1, 4)
NEWS_DAYS = 30
SESSION_SECONDS = 23_400.0
MAX_STEP_SECONDS = 60.0
SPREAD = 0.0002
"""Half the quoted bid-ask spread, as a fraction of the price."""
_SAME_CLOSE = 0.01
"""Relative gap below which a stored close is the generated one (cents rounding, not a split)."""


class SimulatorStore(Protocol):
    """What the simulator keeps its history in: the service's store when it is the live market,
    a private one in memory when it is a fallback (``simulator_on_demand``)."""

    async def upsert_instruments(self, instruments: Sequence[Instrument]) -> None: ...

    async def last_daily_dates(self) -> dict[str, date]: ...

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]: ...

    async def save_corporate_actions(self, actions: Sequence[CorporateAction]) -> None: ...

    async def save_daily_bars(self, bars: Sequence[Bar], issues: Sequence[QualityIssue] = ()) -> int: ...

    async def save_news(self, items: Sequence[NewsItem]) -> None: ...


@dataclass
class _Day:
    """One symbol's running day."""

    open: float
    high: float
    low: float
    last: float
    volume: float

    def move(self, price: float, volume: float) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.last = price
        self.volume += volume


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class SimulatorSource:
    def __init__(
        self, market: SimulatedMarket, store: SimulatorStore, calendar: TradingCalendar, *, years: int
    ) -> None:
        self._market = market
        self._store = store
        self._calendar = calendar
        self._years = years
        self._by_symbol = {i.symbol: i for i in market.instruments}
        self._previous_close: dict[str, float] = {}
        self._typical_volume: dict[str, float] = {}
        self._live_day: date | None = None
        self._days: dict[str, _Day] = {}
        self._minutes: dict[str, list[Bar]] = defaultdict(list)
        self._minute: dict[str, Bar] = {}
        self._last_tick: datetime | None = None
        self._counter = 0

    @property
    def name(self) -> str:
        return Source.SIMULATED

    @property
    def instruments(self) -> list[Instrument]:
        return self._market.instruments

    async def backfill(self, now: datetime) -> int:
        """Stores the generated history up to yesterday that the store lacks and opens the
        live day at the last closes (so quotes exist before the first tick, e.g. while the
        market is closed); returns how many bars were written."""
        today = now.astimezone(NEW_YORK).date()
        await self._store.upsert_instruments(self._market.instruments)
        sessions = self._calendar.sessions(EPOCH, today - timedelta(days=1))
        bars, actions, _ = self._market.generate(sessions)
        keep_from = today - timedelta(days=366 * self._years)
        stored = await self._store.last_daily_dates()
        regenerated = await self._regenerate(bars, await self._another_models(bars, stored, keep_from), today)
        scale = await self._continuity(bars, stored)
        fresh = [
            replace(bar, open=bar.open * f, high=bar.high * f, low=bar.low * f, close=bar.close * f)
            if (f := scale.get(bar.symbol, 1.0)) != 1.0
            else bar
            for bar in bars
            if bar.start.date() >= keep_from and bar.start.date() > stored.get(bar.symbol, date.min)
        ]
        good, issues = self._checked(fresh, sessions, actions)
        await self._store.save_corporate_actions([a for a in actions if a.ex_date >= keep_from])
        written = regenerated + (await self._store.save_daily_bars(good, issues) if good or issues else 0)
        self._remember_closes(bars, scale, stored)
        await self._store.save_news(self._recent_news(bars, sessions[-NEWS_DAYS:]))
        self._roll_to(today)
        self._last_tick = now
        return written

    async def _another_models(
        self, bars: Sequence[Bar], stored: dict[str, date], keep_from: date
    ) -> list[str]:
        """Symbols whose stored simulated history another version of the simulator made: the first
        kept day's close is not the one generated now (a store back-filled before the market
        gained splits, say). Their history is generated again, so raw prices, splits and
        dividends stay one consistent set."""
        first_kept: dict[str, Bar] = {}
        for bar in bars:
            if bar.start.date() >= keep_from:
                first_kept.setdefault(bar.symbol, bar)
        outdated = []
        for symbol in stored:
            first = first_kept.get(symbol)
            if first is None:
                continue
            day = first.start.date()
            found = await self._store.daily_bars(symbol, day, day)
            if (
                found
                and found[0].source == Source.SIMULATED
                and not math.isclose(found[0].close, first.close, rel_tol=_SAME_CLOSE)
            ):
                outdated.append(symbol)
        if outdated:
            log.warning("regenerating simulated history made by another simulator version: %s", outdated)
        return outdated

    async def _regenerate(self, bars: Sequence[Bar], symbols: Sequence[str], today: date) -> int:
        """Writes today's model over every stored day of ``symbols`` that the simulator wrote,
        however old: days imported or from a provider keep theirs (they outrank the simulator)."""
        written = 0
        for symbol in symbols:
            simulated = {
                bar.start
                for bar in await self._store.daily_bars(symbol, EPOCH, today)
                if bar.source == Source.SIMULATED
            }
            again = [bar for bar in bars if bar.symbol == symbol and bar.start in simulated]
            if again:
                written += await self._store.save_daily_bars(again)
        return written

    async def _continuity(self, bars: Sequence[Bar], stored: dict[str, date]) -> dict[str, float]:
        """Per symbol, stored close / generated close on the last stored day (1.0 when they agree)."""
        generated = {(bar.symbol, bar.start.date()): bar.close for bar in bars}
        scale: dict[str, float] = {}
        for symbol, last in stored.items():
            generated_close = generated.get((symbol, last))
            if generated_close is None:
                continue
            stored_bars = await self._store.daily_bars(symbol, last, last)
            if stored_bars and not math.isclose(stored_bars[-1].close, generated_close, rel_tol=1e-12):
                scale[symbol] = stored_bars[-1].close / generated_close
        return scale

    def _checked(
        self, bars: Sequence[Bar], sessions: Sequence[date], actions: Sequence[CorporateAction]
    ) -> tuple[list[Bar], list[QualityIssue]]:
        by_symbol: dict[str, list[Bar]] = defaultdict(list)
        for bar in bars:
            by_symbol[bar.symbol].append(bar)
        good: list[Bar] = []
        issues: list[QualityIssue] = []
        for symbol, symbol_bars in by_symbol.items():
            first = symbol_bars[0].start.date()
            policy = QualityPolicy(flag_zero_volume=self._by_symbol[symbol].asset_class == "equity")
            kept, found = check_bars(
                symbol_bars,
                expected_days=[d for d in sessions if d >= first],
                actions=[a for a in actions if a.symbol == symbol],
                policy=policy,
            )
            good += kept
            issues += found
        return good, issues

    def _remember_closes(self, bars: Sequence[Bar], scale: dict[str, float], stored: dict[str, date]) -> None:
        for bar in bars:
            factor = (
                scale.get(bar.symbol, 1.0) if bar.start.date() > stored.get(bar.symbol, date.min) else 1.0
            )
            self._previous_close[bar.symbol] = bar.close * factor
            self._typical_volume[bar.symbol] = max(float(bar.volume), 1.0)

    def _recent_news(self, bars: Sequence[Bar], days: Sequence[date]) -> list[NewsItem]:
        wanted = set(days)
        previous: dict[str, float] = {}
        returns: dict[date, dict[str, float]] = defaultdict(dict)
        for bar in bars:
            day = bar.start.date()
            if day in wanted and bar.symbol in previous:
                returns[day][bar.symbol] = bar.close / previous[bar.symbol] - 1.0
            previous[bar.symbol] = bar.close
        return [item for day in days for item in self._market.news(day, returns[day])]

    # Live market ------------------------------------------------------------------------

    def advance(self, now: datetime) -> Tick:
        finished_days = self._roll_to(now.astimezone(NEW_YORK).date())
        dt = min(MAX_STEP_SECONDS, (now - self._last_tick).total_seconds()) if self._last_tick else 1.0
        self._last_tick = now
        self._counter += 1
        current = {symbol: day.last for symbol, day in self._days.items()}
        moved = self._market.tick(current, max(dt, 0.0), self._counter)
        finished_minutes: list[Bar] = []
        minute_start = now.replace(second=0, microsecond=0)
        for symbol, price in moved.items():
            day = self._days[symbol]
            step_volume = self._typical_volume.get(symbol, 0.0) * dt / SESSION_SECONDS
            step_volume *= 1.0 + 50.0 * abs(math.log(price / day.last)) if day.last > 0 else 1.0
            day.move(price, step_volume)
            finished = self._minute_tick(symbol, minute_start, price, step_volume)
            if finished is not None:
                finished_minutes.append(finished)
        return Tick(
            quotes=[self._quote(symbol, now) for symbol in self._days],
            finished_minutes=finished_minutes,
            finished_days=finished_days,
        )

    def _roll_to(self, today: date) -> list[Bar]:
        if self._live_day == today:
            return []
        closed = self._close_day() if self._live_day is not None else []
        self._live_day = today
        self._days = {
            symbol: _Day(close, close, close, close, 0.0) for symbol, close in self._previous_close.items()
        }
        self._minutes.clear()
        self._minute.clear()
        return closed

    def _close_day(self) -> list[Bar]:
        day = self._live_day
        assert day is not None
        if not self._calendar.sessions(day, day):
            return []
        bars = []
        for symbol, running in self._days.items():
            bars.append(
                Bar(
                    symbol=symbol,
                    interval=Interval.D1,
                    start=_day_start(day),
                    open=round(running.open, 2),
                    high=round(running.high, 2),
                    low=round(running.low, 2),
                    close=round(running.last, 2),
                    volume=round(running.volume),
                    source=Source.SIMULATED,
                )
            )
            self._previous_close[symbol] = running.last
        return bars

    def _minute_tick(self, symbol: str, minute_start: datetime, price: float, volume: float) -> Bar | None:
        price = round(price, 2)  # bars in cents, like the quotes
        current = self._minute.get(symbol)
        if current is not None and current.start == minute_start:
            self._minute[symbol] = replace(
                current,
                high=max(current.high, price),
                low=min(current.low, price),
                close=price,
                volume=current.volume + round(volume),
            )
            return None
        self._minute[symbol] = Bar(
            symbol, Interval.M1, minute_start, price, price, price, price, round(volume), Source.SIMULATED
        )
        if current is not None:
            self._minutes[symbol].append(current)
        return current

    def _quote(self, symbol: str, now: datetime) -> Quote:
        """Quoted in cents, as an exchange quotes; the walk itself keeps its unrounded prices."""
        day = self._days[symbol]
        return Quote(
            symbol=symbol,
            price=round(day.last, 2),
            open=round(day.open, 2),
            high=round(day.high, 2),
            low=round(day.low, 2),
            previous_close=round(self._previous_close[symbol], 2),
            volume=round(day.volume),
            timestamp=now,
            source=Source.SIMULATED,
            bid=round(day.last * (1 - SPREAD), 2),
            ask=round(day.last * (1 + SPREAD), 2),
        )

    # MarketDataSource ---------------------------------------------------------------------

    async def instrument(self, symbol: str) -> Instrument:
        try:
            return self._by_symbol[symbol]
        except KeyError:
            raise NotFoundAtSource(symbol) from None

    async def search(self, query: str, limit: int) -> list[Instrument]:
        raise NotSupported("the simulator's universe is searched by the service itself")

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        if self._last_tick is None:
            return []
        return [self._quote(symbol, self._last_tick) for symbol in symbols if symbol in self._days]

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        # Every generated day is in the store after the backfill; nothing older exists.
        return []

    async def intraday_bars(
        self, symbol: str, interval: Interval, start: datetime, end: datetime
    ) -> list[Bar]:
        if symbol not in self._by_symbol:
            raise NotFoundAtSource(symbol)
        bars: list[Bar] = []
        for day in self._calendar.sessions(
            start.astimezone(NEW_YORK).date(), end.astimezone(NEW_YORK).date()
        ):
            if day == self._live_day:
                continue
            stored = await self._store.daily_bars(symbol, day, day)
            if stored:
                session_open, session_close = self._calendar.session_bounds(day)
                bars += self._market.intraday_bars(stored[0], session_open, session_close)
        if self._live_day is not None:
            bars += self._minutes.get(symbol, [])
            if symbol in self._minute:
                bars.append(self._minute[symbol])
        return [bar for bar in bars if start <= bar.start <= end]

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        return []

    async def fundamentals(self, symbol: str, period: Period) -> list[Financials]:
        if symbol not in self._by_symbol:
            raise NotFoundAtSource(symbol)
        today = self._live_day or date.today()
        price = (
            self._days[symbol].last if symbol in self._days else self._previous_close.get(symbol, math.nan)
        )
        try:
            statements = self._market.fundamentals(symbol, today, price)
        except UnknownSymbol:
            raise NotFoundAtSource(symbol) from None
        return [item for item in statements if item.period == period]

    async def news(self, symbol: str | None, limit: int) -> list[NewsItem]:
        now = self._last_tick
        if self._live_day is None or now is None:
            return []
        returns = {s: d.last / self._previous_close[s] - 1.0 for s, d in self._days.items()}
        published = [item for item in self._market.news(self._live_day, returns) if item.published_at <= now]
        return [item for item in published if symbol is None or symbol in item.symbols][:limit]
