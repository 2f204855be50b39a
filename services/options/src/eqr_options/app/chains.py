"""Quoted chains of an underlying, shared for one quote tick.

A chain is the simulator's (``domain.chain.quote_chain``) on the underlying's price, realised
volatility and dividend yield from market-data, with its generator seeded from the service's
seed, the symbol and the day: a day's volumes, open interest and last prices stay put while
the quotes move with the spot. Each contract's implied volatility is solved from its mid; its
Greeks are taken at that volatility (at the model's where the mid has none). A chain is kept
in-process for ``ttl_seconds`` (one tick), so the chain, surface and strategy builds of one
screen share one quote; concurrent requests for the same chain share one computation.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

import numpy as np

from eqr_options.app import underlyings
from eqr_options.app.errors import NotFound
from eqr_options.app.ports import Clock, MarketData, UnderlyingMarket
from eqr_options.app.surfaces import FittedSurface, fit_chain_surface
from eqr_options.domain.black_scholes import Greeks, greeks
from eqr_options.domain.chain import Chain, Underlying, quote_chain
from eqr_options.domain.errors import ValidationFailed
from eqr_options.domain.implied_vol import ImpliedVol, implied_vol
from eqr_options.domain.inputs import OptionTerms, option_terms

MAX_CACHED_CHAINS: Final = 2_048


@dataclass(frozen=True)
class ChainConfig:
    rate: float
    seed: int
    ttl_seconds: float


@dataclass
class QuotedChain:
    underlying: Underlying
    source: str
    as_of: datetime
    day: date
    previous_close: float
    chain: Chain
    terms: OptionTerms
    iv: ImpliedVol
    greeks: Greeks
    """At each row's implied vol, or the model's where the mid has none."""
    market: UnderlyingMarket
    _surface: FittedSurface | None = field(default=None, repr=False)
    _rows: dict[tuple[date, float, bool], int] | None = field(default=None, repr=False)

    def surface(self) -> FittedSurface:
        if self._surface is None:
            self._surface = fit_chain_surface(self.underlying, self.chain, self.iv)
        return self._surface

    def row(self, expiry: date, strike: float, is_call: bool) -> int | None:
        """The listed contract's row, or None when it is not listed."""
        if self._rows is None:
            c = self.chain
            self._rows = {
                (e, round(float(k), 6), bool(call)): i
                for i, (e, k, call) in enumerate(zip(c.expiry, c.strike, c.is_call, strict=True))
            }
        return self._rows.get((expiry, round(strike, 6), is_call))


def _generator(seed: int, symbol: str, day: date) -> np.random.Generator:
    digest = int.from_bytes(hashlib.sha256(symbol.encode()).digest()[:8], "big")
    return np.random.default_rng([seed, digest, day.toordinal()])


def quote(underlying: Underlying, day: date, seed: int) -> tuple[Chain, OptionTerms, ImpliedVol, Greeks]:
    """The chain of ``underlying`` on ``day`` with every contract's implied vol and Greeks (CPU-bound)."""
    chain = quote_chain(underlying, day, _generator(seed, underlying.symbol, day))
    terms = option_terms(
        spot=underlying.spot,
        strike=chain.strike,
        years=chain.years,
        rate=underlying.rate,
        dividend_yield=underlying.dividend_yield,
        is_call=chain.is_call,
    )
    iv = implied_vol(terms, chain.mid)
    return chain, terms, iv, greeks(terms, np.where(iv.ok, iv.vol, chain.model_vol))


class ChainBook:
    """Quoted chains by (symbol, day, live), each kept for one tick."""

    def __init__(self, market: MarketData, clock: Clock, config: ChainConfig) -> None:
        self._market = market
        self._clock = clock
        self._config = config
        self._kept: dict[tuple[str, date, bool], tuple[float, asyncio.Task[QuotedChain]]] = {}

    def today(self) -> date:
        return self._clock.now().date()

    async def chain(self, symbol: str, day: date | None = None) -> QuotedChain:
        """``symbol``'s chain now (``day`` None or today) or at the close of an earlier ``day``;
        NotFound when market-data does not know the symbol or has no price by then."""
        today = self.today()
        live = day is None or day >= today
        key = (symbol, today if day is None else day, live)
        now = self._clock.monotonic()
        kept = self._kept.get(key)
        if kept is None or kept[0] <= now:
            if len(self._kept) >= MAX_CACHED_CHAINS:
                self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
            task = asyncio.create_task(self._quote(*key))
            task.add_done_callback(lambda done: self._forget_failed(key, done))
            kept = (now + self._config.ttl_seconds, task)
            self._kept[key] = kept
        # Shielded: a caller that gives up does not cancel the chain the others wait for.
        return await asyncio.shield(kept[1])

    def _forget_failed(self, key: tuple[str, date, bool], task: asyncio.Task[QuotedChain]) -> None:
        if task.cancelled() or task.exception() is not None:
            kept = self._kept.get(key)
            if kept is not None and kept[1] is task:
                del self._kept[key]

    async def _quote(self, symbol: str, day: date, live: bool) -> QuotedChain:
        market = await self._market.underlying(symbol, day, live=live)
        if market is None:
            raise NotFound(f"no underlying {symbol} with a price on or before {day}")
        underlying = underlyings.underlying(market, day, self._config.rate)
        chain, terms, iv, row_greeks = await asyncio.to_thread(quote, underlying, day, self._config.seed)
        return QuotedChain(
            underlying=underlying,
            source=market.source,
            as_of=market.as_of,
            day=day,
            previous_close=market.previous_close,
            chain=chain,
            terms=terms,
            iv=iv,
            greeks=row_greeks,
            market=market,
        )

    async def surface(self, symbol: str) -> tuple[QuotedChain, FittedSurface]:
        quoted = await self.chain(symbol)
        return quoted, await asyncio.to_thread(quoted.surface)


def listed_rows(quoted: QuotedChain, expiries: list[date]) -> tuple[list[date], np.ndarray]:
    """The chain's expiries and rows, only ``expiries`` when given (each must be listed)."""
    listed = sorted(set(quoted.chain.expiry))
    if not expiries:
        return listed, np.arange(len(quoted.chain.expiry))
    if unlisted := sorted(set(expiries) - set(listed)):
        raise ValidationFailed.single(
            "expiries", f"{unlisted[0]} is not a listed expiry of {quoted.underlying.symbol}"
        )
    wanted = set(expiries)
    rows = np.array([i for i, e in enumerate(quoted.chain.expiry) if e in wanted], dtype=np.intp)
    return sorted(wanted), rows
