"""The simulated market as one object: what the service's simulator adapter calls.

``SimulatedMarket(seed)`` is a pure function of its seed: the same seed gives the same
instruments, prices, statements and news, on any machine and in any order of calls. It
holds no clock and does no I/O; the caller chooses the trading days (its calendar), keeps
the ``MarketState`` between generation runs, and passes the latest prices in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from eqr_market_data.domain.errors import UnknownSymbol
from eqr_market_data.domain.market import is_sector_benchmark
from eqr_market_data.domain.model import AssetClass, Bar, CorporateAction, Financials, Instrument, NewsItem
from eqr_market_data.domain.simulator import intraday
from eqr_market_data.domain.simulator.benchmarks import benchmark_weights
from eqr_market_data.domain.simulator.bond import BondModel
from eqr_market_data.domain.simulator.daily import DailyGenerator
from eqr_market_data.domain.simulator.fundamentals import financials
from eqr_market_data.domain.simulator.model import FactorModel, MarketState
from eqr_market_data.domain.simulator.news import market_news, symbol_news
from eqr_market_data.domain.simulator.universe import build_universe


class SimulatedMarket:
    def __init__(self, seed: int) -> None:
        """``seed`` in [0, 2**64) picks the market."""
        if not 0 <= seed < 2**64:
            raise ValueError("the seed must be in [0, 2**64)")
        self._seed = seed
        self._universe = build_universe()
        model = FactorModel(self._universe.params, self._universe.sector_vol)
        self._daily = DailyGenerator(self._universe, model, seed)
        self._ticks = intraday.TickModel(
            tuple(e.symbol for e in self._universe.equities),
            model,
            benchmark_weights(self._universe),
            BondModel(self._universe.bond, model),
        )
        self._position = {e.symbol: i for i, e in enumerate(self._universe.equities)}
        self._by_symbol = {i.symbol: i for i in self._universe.instruments}

    @property
    def instruments(self) -> list[Instrument]:
        """150 US equities (11 GICS sectors), then ^GSPC, ^DJI, ^IXIC, ^RUT, then the 11 SPDR
        sector ETFs (``sector`` set to the sector they track), then SPY and AGG (ETFs without a
        sector). Every one has ``source="simulated"``."""
        return self._universe.instruments

    def generate(
        self, trading_days: Sequence[date], state: MarketState | None = None
    ) -> tuple[list[Bar], list[CorporateAction], MarketState]:
        """Daily bars of every instrument on each of ``trading_days``, the corporate actions
        going ex on them, and the state to continue from.

        Days must be strictly increasing, on or after 2010-01-04, and after ``state.day_index``
        when a state is given. Without a state the day before the first one is the start:
        every name at its trend price. Generating days in one run or in consecutive runs
        (passing each run's state to the next) gives identical results. Bars are raw (not
        adjusted), interval 1d, ``start`` 00:00 UTC of the day, source "simulated", ordered by
        day then as ``instruments``; a dividend or split applies to the raw prices from its
        ex-date on (SPY's level excepted: see ``daily``). An empty ``trading_days`` returns the
        given state (which is then required).
        """
        run = self._daily.run(trading_days, state)
        return run.bars, run.actions, run.state

    def tick(self, prices: Mapping[str, float], dt_seconds: float, counter: int) -> dict[str, float]:
        """Live prices ``dt_seconds`` of trading after ``prices``: one correlated log-normal step
        (volatility scaled by sqrt(dt / 23,400 s)), indices and ETFs moving with their members,
        the bond fund by its own model.

        Deterministic given the counter (use a new one per step, e.g. a running count);
        unknown symbols keep their price. Prices are not rounded: cents would freeze slow moves.
        """
        return intraday.tick(prices, dt_seconds, counter, self._seed, self._ticks)

    def intraday_bars(
        self, daily_bar: Bar, session_open: datetime, session_close: datetime, minutes_per_bar: int = 1
    ) -> list[Bar]:
        """Bars of 1, 5, 15 or 60 minutes over the session (390 one-minute bars for a regular
        NYSE session) that aggregate exactly to ``daily_bar``'s open, high, low, close and volume."""
        return intraday.intraday_bars(
            daily_bar, session_open, session_close, minutes_per_bar, seed=self._seed
        )

    def fundamentals(self, symbol: str, as_of: date, last_price: float) -> list[Financials]:
        """Ten annual then twelve quarterly statements reported by ``as_of``, each newest first,
        consistent with ``last_price`` times the shares outstanding (empty for indices and ETFs).

        Raises ``UnknownSymbol`` for a symbol outside the universe."""
        instrument = self._instrument(symbol)
        if instrument.asset_class != AssetClass.EQUITY:
            return []
        position = self._position[symbol]
        dividend_yield = float(self._universe.params.dividend_yield[position])
        return financials(instrument, dividend_yield, as_of, last_price, seed=self._seed)

    def news(self, day: date, returns: Mapping[str, float]) -> list[NewsItem]:
        """The day's news, newest first: every equity's (a move of 4% or more in ``returns``,
        the day's simple returns by symbol, always makes news with sentiment of its sign) and
        the market-wide stream (wrap-up from ^GSPC's return, leading sector, a macro story)."""
        sectors = [b.instrument for b in self._universe.benchmarks if is_sector_benchmark(b.instrument)]
        items = market_news(self._seed, day, returns, sectors)
        for equity in self._universe.equities:
            items += symbol_news(self._seed, day, equity, returns.get(equity.symbol))
        return sorted(items, key=lambda item: (item.published_at, item.id), reverse=True)

    def _instrument(self, symbol: str) -> Instrument:
        try:
            return self._by_symbol[symbol]
        except KeyError:
            raise UnknownSymbol(symbol) from None
