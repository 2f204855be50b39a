"""The fallback chain across the configured sources.

Each call asks the sources in their configured order and returns the first answer that has
something in it. A source that raises ``SourceError`` (not supported, symbol unknown there,
rate limited, failed) is passed over for the next; one that was rate limited is skipped
until its retry-after has passed. An empty list (no bars in the range, no news, no search
match) also hands over to the next source; when every source that answered had nothing,
the answer is empty. Corporate actions are the exception: "none" is an answer, and they are
only meaningful next to the bars of the same source (``daily_history`` asks for both).

Quotes are screened (``QuoteScreen``) as they arrive; a quote older than ``max_quote_age``,
measured to ``as_of`` (the last close while the market is shut), or flagged by the screen
counts as stale: the next source is asked, and when no source has a fresh one the freshest
is returned marked ``stale``. Every value keeps the ``source`` that served it. When no
source answers: ``UnknownSymbol`` if every source that could have answered said it does not
know the symbol, else ``SourceUnavailable`` with each source's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TypeVar

from eqr_market_data.app.ports import (
    Clock,
    MarketDataSource,
    NotFoundAtSource,
    NotSupported,
    RateLimited,
    SourceError,
)
from eqr_market_data.app.quote_quality import QuoteScreen
from eqr_market_data.domain.errors import SourceUnavailable, UnknownSymbol
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

T = TypeVar("T")
log = logging.getLogger(__name__)

DEFAULT_MAX_QUOTE_AGE = timedelta(minutes=15)
DEFAULT_RATE_LIMIT_COOLDOWN = timedelta(seconds=60)


@dataclass
class _Outcome:
    """Why the sources asked so far did not answer."""

    reasons: list[str] = field(default_factory=list)
    not_found: int = 0
    not_supported: int = 0
    failed: int = 0

    def undecided(self, what: str, symbol: str | None) -> Exception:
        if symbol is not None and self.not_found and not self.failed:
            return UnknownSymbol(symbol)
        return SourceUnavailable(what, self.reasons)


@dataclass(frozen=True)
class DailyHistory:
    """One source's daily bars and that source's splits and dividends for them."""

    bars: list[Bar]
    actions: list[CorporateAction]
    source: str


def _nothing(answer: object) -> bool:
    return isinstance(answer, list) and not answer


def _never(answer: object) -> bool:
    return False


class SourceChain:
    def __init__(
        self,
        sources: Sequence[MarketDataSource],
        clock: Clock,
        *,
        max_quote_age: timedelta = DEFAULT_MAX_QUOTE_AGE,
        rate_limit_cooldown: timedelta = DEFAULT_RATE_LIMIT_COOLDOWN,
        as_of: Callable[[], datetime] | None = None,
        screen: QuoteScreen | None = None,
    ) -> None:
        """``rate_limit_cooldown``: how long a source rests after ``RateLimited`` without a
        retry-after. ``as_of``: the moment quote ages are measured to (``MarketHours.as_of``;
        the clock's now without it). ``screen``: the quality checks every answered quote
        goes through."""
        self._sources = list(sources)
        self._clock = clock
        self._max_quote_age = max_quote_age
        self._cooldown = rate_limit_cooldown
        self._as_of = as_of or clock.now
        self._screen = screen
        self._resting_until: dict[str, datetime] = {}
        self._ranks = {source.name: index for index, source in enumerate(self._sources)}

    @property
    def name(self) -> str:
        return ",".join(source.name for source in self._sources)

    @property
    def primary(self) -> str:
        """The first source's name ("" without sources)."""
        return self._sources[0].name if self._sources else ""

    def rank(self, source: str) -> int:
        """How much a value from ``source`` is trusted, lower first: file imports (an operator's
        explicit data) -1, then the configured sources in order, then any other (a source no
        longer configured)."""
        if source == Source.IMPORT:
            return -1
        return self._ranks.get(source, len(self._sources))

    async def instrument(self, symbol: str) -> Instrument:
        return await self._first(f"instrument {symbol}", symbol, lambda source: source.instrument(symbol))

    async def search(self, query: str, limit: int) -> list[Instrument]:
        return await self._first("search results", None, lambda source: source.search(query, limit))

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        return await self._first(
            f"daily bars of {symbol}", symbol, lambda source: source.daily_bars(symbol, start, end)
        )

    async def intraday_bars(
        self, symbol: str, interval: Interval, start: datetime, end: datetime
    ) -> list[Bar]:
        return await self._first(
            f"{interval} bars of {symbol}",
            symbol,
            lambda source: source.intraday_bars(symbol, interval, start, end),
        )

    async def daily_history(self, symbol: str, start: date, end: date) -> DailyHistory:
        """The daily bars of the first source that has some in the range, with the corporate
        actions of that same source (none when it cannot say)."""

        async def ask(source: MarketDataSource) -> DailyHistory:
            bars = await source.daily_bars(symbol, start, end)
            if not bars:
                return DailyHistory([], [], source.name)
            try:
                actions = await source.corporate_actions(symbol)
            except SourceError as error:
                if not isinstance(error, NotSupported):
                    log.warning(
                        "bars without corporate actions",
                        extra={"source": source.name, "symbol": symbol, "error": str(error)},
                    )
                actions = []
            return DailyHistory(bars, actions, source.name)

        return await self._first(f"daily bars of {symbol}", symbol, ask, empty=lambda answer: not answer.bars)

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        """The first source's answer, even "none" (another source's actions would not fit
        the bars of the first)."""
        return await self._first(
            f"corporate actions of {symbol}",
            symbol,
            lambda source: source.corporate_actions(symbol),
            empty=_never,
        )

    async def fundamentals(self, symbol: str, period: Period) -> list[Financials]:
        return await self._first(
            f"fundamentals of {symbol}", symbol, lambda source: source.fundamentals(symbol, period)
        )

    async def news(self, symbol: str | None, limit: int) -> list[NewsItem]:
        what = f"news of {symbol}" if symbol else "market news"
        return await self._first(what, symbol, lambda source: source.news(symbol, limit))

    async def quote(self, symbol: str) -> Quote:
        found, outcome = await self._collect_quotes([symbol])
        if symbol in found:
            return found[symbol]
        if outcome.failed or outcome.not_supported == len(self._sources):
            raise SourceUnavailable(f"a quote of {symbol}", outcome.reasons)
        raise UnknownSymbol(symbol)

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        """Quotes of the symbols some source knows, in the order asked; unknown ones are left out.

        Raises ``SourceUnavailable`` only when no source answered at all.
        """
        wanted = list(dict.fromkeys(symbols))
        found, outcome = await self._collect_quotes(wanted)
        if wanted and not found and outcome.failed + outcome.not_supported == len(self._sources):
            raise SourceUnavailable("quotes", outcome.reasons)
        return [found[symbol] for symbol in wanted if symbol in found]

    async def _collect_quotes(self, symbols: list[str]) -> tuple[dict[str, Quote], _Outcome]:
        fresh: dict[str, Quote] = {}
        stale: dict[str, Quote] = {}
        outcome = _Outcome()
        for source in self._sources:
            missing = [symbol for symbol in symbols if symbol not in fresh]
            if not missing:
                break
            answer = await self._ask(source, outcome, _quotes_of(missing))
            if answer is None:
                continue
            asked = set(missing)
            if self._screen is not None:
                answered = [q for q in answer if q.symbol in asked]
                answer = await self._screen.screen(answered, as_of=self._as_of())
                if len(answer) < len(answered):
                    outcome.failed += 1  # a rejected quote is the source failing, not an unknown symbol
                    outcome.reasons.append(f"{source.name}: quotes rejected by the quality checks")
            for quote in answer:
                if quote.symbol not in asked:
                    continue
                if self._is_fresh(quote):
                    fresh[quote.symbol] = quote
                elif quote.symbol not in stale or quote.timestamp > stale[quote.symbol].timestamp:
                    stale[quote.symbol] = quote
            if any(symbol not in fresh for symbol in missing):
                outcome.reasons.append(f"{source.name}: no fresh quote")
        for symbol, quote in stale.items():
            fresh.setdefault(symbol, replace(quote, stale=True))
        return fresh, outcome

    def _is_fresh(self, quote: Quote) -> bool:
        return not quote.stale and self._as_of() - quote.timestamp <= self._max_quote_age

    async def _first(
        self,
        what: str,
        symbol: str | None,
        call: Callable[[MarketDataSource], Awaitable[T]],
        *,
        empty: Callable[[T], bool] = _nothing,
    ) -> T:
        """The first answer that is not ``empty``; else the first empty one; else the error."""
        outcome = _Outcome()
        nothing: list[T] = []
        for source in self._sources:
            answer = await self._ask(source, outcome, call)
            if answer is None:
                continue
            if not empty(answer):
                return answer
            outcome.reasons.append(f"{source.name}: nothing")
            nothing.append(answer)
        if nothing:
            return nothing[0]
        raise outcome.undecided(what, symbol)

    async def _ask(
        self, source: MarketDataSource, outcome: _Outcome, call: Callable[[MarketDataSource], Awaitable[T]]
    ) -> T | None:
        """The source's answer, or ``None`` with the reason recorded in ``outcome``."""
        now = self._clock.now()
        resting_until = self._resting_until.get(source.name)
        if resting_until is not None and now < resting_until:
            outcome.failed += 1
            outcome.reasons.append(f"{source.name}: rate limited until {resting_until.isoformat()}")
            return None
        try:
            return await call(source)
        except NotSupported as error:
            outcome.not_supported += 1
            outcome.reasons.append(f"{source.name}: not supported ({error})")
        except NotFoundAtSource as error:
            outcome.not_found += 1
            outcome.reasons.append(f"{source.name}: not found ({error})")
        except RateLimited as error:
            rest = self._cooldown if error.retry_after is None else timedelta(seconds=error.retry_after)
            self._resting_until[source.name] = self._clock.now() + rest
            outcome.failed += 1
            outcome.reasons.append(f"{source.name}: rate limited ({error})")
        except SourceError as error:
            outcome.failed += 1
            outcome.reasons.append(f"{source.name}: {error or type(error).__name__}")
        return None


def _quotes_of(symbols: list[str]) -> Callable[[MarketDataSource], Awaitable[list[Quote]]]:
    return lambda source: source.quotes(symbols)
