"""Live valuation and alert evaluation, driven by the quote stream.

Quote events only update memory: the latest quote of each symbol, the quotes seen since the
last tick, and which portfolios those symbols make dirty. Every ``interval`` a tick does the
work, so a portfolio is revalued and published at most once per interval however fast its
prices move, and the database sees a few queries per tick rather than one per quote:

1. **Price and daily-move alerts.** The quotes seen since the last tick are replayed in order
   through the active alerts of their symbols, so a crossing that comes and goes between two
   ticks still fires.
2. **Live values.** Each dirty portfolio is valued from its replayed book (cached until its
   ledger changes) at the latest quotes and published; a holding without a quote yet is asked
   of market data once. A quote of an option's underlying makes its holders dirty too: their
   contracts are marked by the options service (chain mid, or model) with their Greeks.
   A book holding a contract whose expiry day has passed is settled first (``settlement``).
3. **Value and drawdown alerts** are evaluated on those values, unless a holding is unpriced
   (a value with holdings at cost is not a market value).

An alert moves only inside a unit of work holding its row lock, re-evaluated from the stored
state: the trigger, the new state and the ``AlertTriggered`` event commit together, and two
evaluators (replicas, a redelivered quote) cannot fire the same crossing twice.

A drawdown alert's peak is kept in its stored state with the flows it was seen at
(``domain.alerts``), so replicas and restarts share one peak.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ports import LedgerIndex, OptionMark, ValuationPublisher
from eqr_portfolio.app.settlement import expired_contracts, settle_expired
from eqr_portfolio.app.valuation import held_contracts, option_greeks, option_instruments, option_quotes
from eqr_portfolio.domain.alerts import (
    Alert,
    Observation,
    QuoteObservation,
    RecordedTrigger,
    ValuationObservation,
    evaluate_all,
)
from eqr_portfolio.domain.book import Book, replay
from eqr_portfolio.domain.events import AlertTriggered
from eqr_portfolio.domain.option_contracts import OptionContract, option_contract
from eqr_portfolio.domain.transactions import Portfolio
from eqr_portfolio.domain.valuation import Instrument, Quote, value_book

log = logging.getLogger("eqr.portfolio.live")

SETTLE_RETRY_SECONDS = 300.0
"""How long a settlement that could not finish waits before it is tried again (a late close at
expiry, a ledger without the cash)."""


@dataclass(frozen=True)
class _Held:
    portfolio: Portfolio
    book: Book


class LiveValuation:
    def __init__(
        self,
        deps: Dependencies,
        ledgers: LedgerIndex,
        publisher: ValuationPublisher,
        *,
        interval: timedelta,
    ) -> None:
        self._deps = deps
        self._ledgers = ledgers
        self._publisher = publisher
        self._interval = interval.total_seconds()
        self._quotes: dict[str, QuoteObservation] = {}
        self._unseen: dict[str, list[QuoteObservation]] = {}
        """Quotes received since the last tick, per symbol, oldest first."""
        self._holders: dict[str, set[UUID]] = {}
        self._symbols_of: dict[UUID, frozenset[str]] = {}
        self._books: dict[UUID, _Held] = {}
        self._stale: set[UUID] = set()
        self._dirty: set[UUID] = set()
        self._settle_after: dict[UUID, float] = {}
        """Portfolios whose expired contracts could not all be settled: not tried again before
        this monotonic time, unless their ledger changes."""
        self._reseed = False

    # Events, called by the stream consumers.

    def quote_received(self, quote: QuoteObservation) -> None:
        """Older or repeated quotes (a redelivery) are ignored."""
        latest = self._quotes.get(quote.symbol)
        if latest is not None and quote.observed_at <= latest.observed_at:
            return
        self._quotes[quote.symbol] = quote
        self._unseen.setdefault(quote.symbol, []).append(quote)
        self._dirty.update(self._holders.get(quote.symbol, ()))

    def ledger_changed(self, portfolio_id: UUID) -> None:
        self._settle_after.pop(portfolio_id, None)  # a deposit may be what a settlement lacked
        self._stale.add(portfolio_id)
        self._dirty.add(portfolio_id)

    def ledger_events_missed(self) -> None:
        """Ledger events may have gone by unseen (the consumer was created, or created again after
        the server dropped it): read every book again and learn of new portfolios on the next tick."""
        self._stale.update(self._books)
        self._dirty.update(self._books)
        self._reseed = True

    def portfolio_deleted(self, portfolio_id: UUID) -> None:
        self._index(portfolio_id, frozenset())
        self._symbols_of.pop(portfolio_id, None)
        self._books.pop(portfolio_id, None)
        self._settle_after.pop(portfolio_id, None)
        self._stale.discard(portfolio_id)
        self._dirty.discard(portfolio_id)

    # The loop.

    async def run(self, stop: asyncio.Event) -> None:
        """Learn who holds what, then tick every interval until ``stop``."""
        while not stop.is_set() and not await self.seed():
            await _sleep(stop, self._interval)
        while not stop.is_set():
            started = time.monotonic()
            await self.tick()
            await _sleep(stop, self._interval - (time.monotonic() - started))

    async def seed(self) -> bool:
        """Learn which portfolios hold which symbols (from their ledgers: closed positions too, until
        each book is replayed); each is valued on the next tick. False when that cannot be read."""
        try:
            traded = await self._ledgers.traded_symbols()
        except Exception:
            log.exception("cannot read which portfolios trade which symbols; retrying")
            return False
        by_portfolio: dict[UUID, set[str]] = {}
        for portfolio_id, symbol in traded:
            by_portfolio.setdefault(portfolio_id, set()).add(symbol)
        for portfolio_id, symbols in by_portfolio.items():
            if portfolio_id not in self._symbols_of:
                self._index(portfolio_id, watched(symbols))
                self._dirty.add(portfolio_id)
        return True

    async def tick(self) -> None:
        """One round of work; failures are logged, never raised: the loop must go on."""
        if self._reseed:
            self._reseed = not await self.seed()
        unseen, self._unseen = self._unseen, {}
        dirty, self._dirty = self._dirty, set()
        try:
            await self._evaluate_quotes(unseen)
        except Exception:
            log.exception("price alerts were not evaluated")
        try:
            await self._revalue(dirty)
        except Exception:
            log.exception("live valuation failed")

    async def _evaluate_quotes(self, unseen: dict[str, list[QuoteObservation]]) -> None:
        if not unseen:
            return
        async with self._deps.unit_of_work() as uow:
            alerts = await uow.alerts.active_for_symbols(unseen.keys())
        for alert in alerts:
            assert alert.definition.symbol is not None
            await self._advance(alert, unseen[alert.definition.symbol])

    async def _revalue(self, dirty: Collection[UUID]) -> None:
        held = {}
        for portfolio_id in dirty:
            try:
                found = await self._held(portfolio_id)
            except Exception:
                log.exception("cannot load the book", extra={"portfolio_id": str(portfolio_id)})
                self._stale.add(portfolio_id)  # read again when it is next dirty, not the old book
                continue
            if found is not None:
                held[portfolio_id] = found
        if not held:
            return
        await self._settle(held)
        contracts = {portfolio_id: held_contracts(h.book) for portfolio_id, h in held.items()}
        symbols = {symbol for h in held.values() for symbol in h.book.positions}
        shares = symbols - {c.symbol for held_ in contracts.values() for c in held_}
        await self._fetch_missing_quotes(shares)
        underlyings = {c.underlying for held_ in contracts.values() for c in held_}
        facts = await self._instruments(shares | underlyings)
        marks = await self._marks(contracts)
        now = self._deps.clock.now()
        observations: dict[UUID, ValuationObservation] = {}
        publishing = []
        for portfolio_id, h in held.items():
            held_marks = marks.get(portfolio_id, {})
            prices = self._prices(h.book.positions) | option_quotes(held_marks)
            valuation = value_book(
                h.book,
                prices,
                facts | option_instruments(contracts[portfolio_id], facts),
                today=now.date(),
                option_greeks=option_greeks(held_marks),
            )
            publishing.append(self._publisher.publish_valuation(h.portfolio, h.book, valuation, prices, now))
            if not valuation.unpriced:
                observations[portfolio_id] = ValuationObservation(
                    valuation.totals.market_value, h.book.net_external_flow, now
                )
        failures = [r for r in await asyncio.gather(*publishing, return_exceptions=True) if r is not None]
        if failures:
            log.warning("%d live values were not published", len(failures), exc_info=failures[0])
        if observations:
            async with self._deps.unit_of_work() as uow:
                alerts = await uow.alerts.active_for_portfolios(observations.keys())
            for alert in alerts:
                await self._advance(alert, [observations[alert.portfolio_id]])

    async def _held(self, portfolio_id: UUID) -> _Held | None:
        """The cached book, replayed again when the ledger changed; None once the portfolio is gone."""
        cached = self._books.get(portfolio_id)
        if cached is not None and portfolio_id not in self._stale:
            return cached
        # Cleared before reading: a change committed meanwhile marks it stale again.
        self._stale.discard(portfolio_id)
        async with self._deps.unit_of_work() as uow:
            portfolio = await uow.portfolios.get(portfolio_id)
            ledger = await uow.transactions.ledger(portfolio_id) if portfolio else []
        if portfolio is None:
            self.portfolio_deleted(portfolio_id)
            return None
        book = replay(ledger, portfolio.policy)
        self._index(portfolio_id, watched(book.positions))
        held = self._books[portfolio_id] = _Held(portfolio, book)
        return held

    def _index(self, portfolio_id: UUID, symbols: frozenset[str]) -> None:
        previous = self._symbols_of.get(portfolio_id, frozenset())
        for symbol in previous - symbols:
            holders = self._holders.get(symbol)
            if holders is not None:
                holders.discard(portfolio_id)
                if not holders:
                    del self._holders[symbol]
        for symbol in symbols - previous:
            self._holders.setdefault(symbol, set()).add(portfolio_id)
        self._symbols_of[portfolio_id] = symbols

    def _prices(self, symbols: Iterable[str]) -> dict[str, Quote]:
        return {s: Quote(q.price, q.previous_close) for s in symbols if (q := self._quotes.get(s))}

    async def _fetch_missing_quotes(self, symbols: Iterable[str]) -> None:
        """Quotes the stream has not brought yet (a quiet symbol after a restart)."""
        missing = sorted(set(symbols) - self._quotes.keys())
        if not missing:
            return
        try:
            fetched = await self._deps.market_data.quotes(missing)
        except Exception:
            log.warning("cannot fetch %d missing quotes; valuing those holdings at cost", len(missing))
            return
        for symbol, q in fetched.items():
            self._quotes.setdefault(symbol, QuoteObservation(symbol, q.price, q.previous_close, q.as_of))

    async def _settle(self, held: Mapping[UUID, _Held]) -> None:
        """Settle the expired contracts of the books at hand; the settled ledgers come back as
        ledger changes, and the next tick values them."""
        today = self._deps.clock.now().date()
        for portfolio_id, h in held.items():
            if not expired_contracts(h.book.positions, today):
                continue
            if self._settle_after.get(portfolio_id, 0.0) > time.monotonic():
                continue
            try:
                left = (await settle_expired(self._deps, portfolio_id)).left
            except Exception:
                log.exception("expired options not settled", extra={"portfolio_id": str(portfolio_id)})
                left = 1
            if left:
                self._settle_after[portfolio_id] = time.monotonic() + SETTLE_RETRY_SECONDS

    async def _marks(
        self, contracts: Mapping[UUID, Mapping[OptionContract, Decimal]]
    ) -> dict[UUID, dict[OptionContract, OptionMark]]:
        """Each portfolio's option positions marked; those the options service cannot mark now are
        valued at cost this tick."""
        holding = [portfolio_id for portfolio_id, held in contracts.items() if held]
        found = await asyncio.gather(
            *(self._deps.options.marks(contracts[p]) for p in holding), return_exceptions=True
        )
        marks: dict[UUID, dict[OptionContract, OptionMark]] = {}
        for portfolio_id, result in zip(holding, found, strict=True):
            if isinstance(result, BaseException):
                log.warning("cannot mark option positions; valuing them at cost", exc_info=result)
            else:
                marks[portfolio_id] = result
        return marks

    async def _instruments(self, symbols: Collection[str]) -> dict[str, Instrument]:
        try:
            facts = await self._deps.market_data.instruments(symbols)
        except Exception:
            log.warning("instrument facts unavailable; allocations fall back to unknown sectors")
            return {}
        return {s: Instrument(f.name, f.sector, f.industry) for s, f in facts.items()}

    async def _advance(self, alert: Alert, observations: Sequence[Observation]) -> None:
        """Move ``alert`` through ``observations`` under its row lock, storing and announcing what fired."""
        state, triggers = evaluate_all(alert.definition, alert.state, observations)
        if state == alert.state and not triggers:
            return
        try:
            async with self._deps.unit_of_work() as uow:
                locked = await uow.alerts.lock(alert.id)
                if locked is None:
                    return
                state, triggers = evaluate_all(locked.definition, locked.state, observations)
                if state == locked.state and not triggers:
                    return
                last = triggers[-1].observed_at if triggers else locked.last_triggered_at
                await uow.alerts.update_state(locked.id, state, last)
                if triggers:
                    recipients = tuple(await uow.portfolios.audience(locked.portfolio_id))
                    for trigger in triggers:
                        recorded = RecordedTrigger(
                            id=uuid4(),
                            alert_id=locked.id,
                            portfolio_id=locked.portfolio_id,
                            kind=locked.definition.kind,
                            symbol=locked.definition.symbol,
                            threshold=trigger.threshold,
                            observed=trigger.observed,
                            message=trigger.message,
                            triggered_at=trigger.observed_at,
                        )
                        await uow.alerts.add_trigger(recorded)
                        uow.record(AlertTriggered(recorded, recipients))
                await uow.commit()
        except Exception:
            log.exception("alert not evaluated", extra={"alert_id": str(alert.id)})


def watched(symbols: Iterable[str]) -> frozenset[str]:
    """The symbols whose quotes move a book of ``symbols``: its shares, and the underlyings of its
    option contracts."""
    found = set(symbols)
    found.update(c.underlying for s in list(found) if (c := option_contract(s)) is not None)
    return frozenset(found)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(seconds, 0.0))
