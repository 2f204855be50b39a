"""The fallback chain across the configured sources.

Each call asks the sources in their configured order and returns the first answer. A source
that raises ``SourceError`` (not supported, symbol unknown there, rate limited, failed) is
passed over for the next; one that was rate limited is skipped until its retry-after has
passed. Quotes older than ``max_quote_age`` count as stale: the next source is asked, and
when no source has a fresh one the freshest is returned marked ``stale``. Every value keeps
the ``source`` that served it. When no source answers: ``UnknownSymbol`` if every source
that could have answered said it does not know the symbol, else ``SourceUnavailable`` with
each source's reason.
"""

from __future__ import annotations

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
)

T = TypeVar("T")

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


class SourceChain:
    def __init__(
        self,
        sources: Sequence[MarketDataSource],
        clock: Clock,
        *,
        max_quote_age: timedelta = DEFAULT_MAX_QUOTE_AGE,
        rate_limit_cooldown: timedelta = DEFAULT_RATE_LIMIT_COOLDOWN,
    ) -> None:
        """``rate_limit_cooldown``: how long a source rests after ``RateLimited`` without a
        retry-after."""
        self._sources = list(sources)
        self._clock = clock
        self._max_quote_age = max_quote_age
        self._cooldown = rate_limit_cooldown
        self._resting_until: dict[str, datetime] = {}

    @property
    def name(self) -> str:
        return ",".join(source.name for source in self._sources)

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

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        return await self._first(
            f"corporate actions of {symbol}", symbol, lambda source: source.corporate_actions(symbol)
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
        return not quote.stale and self._clock.now() - quote.timestamp <= self._max_quote_age

    async def _first(
        self, what: str, symbol: str | None, call: Callable[[MarketDataSource], Awaitable[T]]
    ) -> T:
        outcome = _Outcome()
        for source in self._sources:
            answer = await self._ask(source, outcome, call)
            if answer is not None:
                return answer
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
