"""Chains: inputs from market-data, one quote shared per tick, a day's volumes stable, and the
surface fitted to the out-of-the-money side."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest

from eqr_options.app.chains import ChainBook, ChainConfig, listed_rows
from eqr_options.app.errors import NotFound
from eqr_options.app.ports import MarketData as FakeMarketLike
from eqr_options.app.symbols import normalise_symbol, occ_symbol
from eqr_options.app.underlyings import DEFAULT_VOL, realised_vol, trailing_dividend_yield
from eqr_options.domain.errors import ValidationFailed


def test_realised_vol_is_the_annualised_sample_deviation_of_log_returns() -> None:
    returns = np.tile([0.01, -0.01], 50)  # mean 0: the sample deviation is 0.01·sqrt(100/99)
    closes = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
    assert realised_vol(closes) == pytest.approx(0.01 * math.sqrt(100 / 99) * math.sqrt(252), rel=1e-12)
    assert realised_vol(closes[:10]) == DEFAULT_VOL


def test_the_dividend_yield_counts_the_last_twelve_months_only() -> None:
    dividends = ((date(2026, 8, 7), 0.25), (date(2026, 5, 8), 0.25), (date(2025, 11, 27), 9.0))
    assert trailing_dividend_yield(dividends, date(2026, 11, 27), 100.0) == pytest.approx(0.005)
    assert trailing_dividend_yield((), date(2026, 11, 27), 100.0) == 0.0


async def test_the_chain_is_quoted_off_the_underlyings_price_vol_and_yield(chains: ChainBook) -> None:
    quoted = await chains.chain("AAPL")
    u = quoted.underlying
    assert (u.spot, u.rate) == (190.0, 0.045)
    assert u.vol == pytest.approx(0.015 * math.sqrt(252 / 251) * math.sqrt(252), rel=1e-9)
    assert u.dividend_yield == pytest.approx(0.5 / 190.0)
    assert quoted.iv.ok.mean() > 0.9
    assert len(quoted.chain.expiry) <= 2000


async def test_one_tick_shares_one_chain_and_concurrent_callers_one_computation(
    chains: ChainBook, market: Any
) -> None:
    first, second = await asyncio.gather(chains.chain("AAPL"), chains.chain("AAPL"))
    third = await chains.chain("AAPL")
    assert first is second is third
    assert len(market.calls) == 1


class Noon:
    def now(self) -> datetime:
        return datetime(2026, 11, 27, 12, tzinfo=UTC)

    def monotonic(self) -> float:
        return 0.0


async def test_a_days_volume_and_open_interest_do_not_change_between_ticks(market: FakeMarketLike) -> None:
    book = ChainBook(market, Noon(), ChainConfig(rate=0.045, seed=7, ttl_seconds=0.0))
    first, second = await book.chain("AAPL"), await book.chain("AAPL")
    assert first is not second  # no caching at a TTL of 0: quoted twice
    assert first.chain.volume.tolist() == second.chain.volume.tolist()
    assert first.chain.open_interest.tolist() == second.chain.open_interest.tolist()
    other_seed = await ChainBook(market, Noon(), ChainConfig(0.045, 8, 0.0)).chain("AAPL")
    assert other_seed.chain.volume.tolist() != first.chain.volume.tolist()


async def test_an_unknown_symbol_is_not_found_and_is_not_kept(chains: ChainBook, market: Any) -> None:
    for _ in range(2):
        with pytest.raises(NotFound):
            await chains.chain("NOPE")
    assert len(market.calls) == 2


async def test_the_surface_fits_each_expiry_closely(chains: ChainBook) -> None:
    _, surface = await chains.surface("AAPL")
    assert len(surface.smiles) >= 10
    assert [s.expiry for s in surface.smiles] == sorted(s.expiry for s in surface.smiles)
    assert max(s.fit.rms_error for s in surface.smiles) < 0.02
    for smile in surface.smiles:  # out of the money only: puts below the forward, calls above
        assert np.all(np.diff(smile.strike) > 0)


async def test_expiries_filter_the_chain_and_unlisted_ones_are_refused(chains: ChainBook) -> None:
    quoted = await chains.chain("AAPL")
    first = quoted.chain.expiry[0]
    expiries, rows = listed_rows(quoted, [first])
    assert expiries == [first]
    assert {quoted.chain.expiry[r] for r in rows} == {first}
    with pytest.raises(ValidationFailed) as error:
        listed_rows(quoted, [date(2026, 12, 1)])
    assert error.value.violations[0].field == "expiries"


def test_occ_symbols_and_ticker_symbols() -> None:
    assert occ_symbol("AAPL", date(2026, 12, 18), True, 190.0) == "AAPL  261218C00190000"
    assert occ_symbol("SPY", date(2027, 1, 15), False, 412.5) == "SPY   270115P00412500"
    assert normalise_symbol(" brk.b ") == "BRK.B"
    for bad in ("", "   ", "A B", "x" * 20, "AAPL;DROP", "\ufb00"):  # "ﬀ" upper-cases to "FF"
        with pytest.raises(ValidationFailed):
            normalise_symbol(bad)
