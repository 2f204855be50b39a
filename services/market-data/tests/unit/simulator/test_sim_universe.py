"""The universe's facts and the per-name parameters derived from them."""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np

from eqr_market_data.domain.market import is_sector_benchmark
from eqr_market_data.domain.simulator.companies import COMPANIES, DOW_MEMBERS
from eqr_market_data.domain.simulator.sectors import SECTOR_NAMES
from eqr_market_data.domain.simulator.streams import day_index
from eqr_market_data.domain.simulator.universe import ANCHOR_DAY, Weighting, build_universe


def test_every_gics_sector_has_several_real_names() -> None:
    per_sector = Counter(c.sector for c in COMPANIES)
    assert set(per_sector) == set(SECTOR_NAMES)
    assert min(per_sector.values()) >= 9
    assert len(COMPANIES) >= 100
    assert set(DOW_MEMBERS) <= {c.symbol for c in COMPANIES}
    assert {c.exchange for c in COMPANIES} == {"NASDAQ", "NYSE"}


def test_market_caps_are_of_the_real_magnitude() -> None:
    caps = {c.symbol: c.market_cap_2024 for c in COMPANIES}
    assert 3e12 < caps["AAPL"] < 4.5e12
    assert 2.5e12 < caps["MSFT"] < 3.8e12
    assert 5e11 < caps["JPM"] < 8e11
    assert min(caps.values()) > 1e10
    assert 30e12 < sum(caps.values()) < 50e12


def test_each_trend_passes_through_the_2024_price_from_its_starting_price() -> None:
    params = build_universe().params
    anchor = day_index(ANCHOR_DAY)
    assert np.allclose(np.exp(params.trend_log_price(anchor)), params.anchor_price)
    years = (ANCHOR_DAY - date(2010, 1, 4)).days / 365.25
    assert np.allclose(params.epoch_price * np.exp(params.trend_growth * years), params.anchor_price)
    assert np.all(params.epoch_price < params.anchor_price)


def test_parameters_are_in_plausible_ranges() -> None:
    params = build_universe().params
    annual_idio = params.idio_vol * np.sqrt(252)
    assert np.all((annual_idio >= 0.14) & (annual_idio <= 0.45))
    assert np.all((params.beta > 0.2) & (params.beta < 2.5))
    assert np.all((params.sector_loading >= 0.85) & (params.sector_loading <= 1.15))
    assert np.all((params.dividend_yield >= 0) & (params.dividend_yield < 0.1))
    assert set(params.dividend_month.tolist()) == {1, 2, 3}
    assert np.all((params.dividend_day >= 1) & (params.dividend_day <= 28))


def test_benchmarks_and_their_members() -> None:
    universe = build_universe()
    benchmarks = {b.instrument.symbol: b for b in universe.benchmarks}
    symbols = [c.symbol for c in universe.companies]
    assert len(benchmarks["^GSPC"].members) == len(COMPANIES)
    assert {symbols[i] for i in benchmarks["^DJI"].members} == set(DOW_MEMBERS)
    assert benchmarks["^DJI"].weighting == Weighting.PRICE
    assert {universe.companies[i].exchange for i in benchmarks["^IXIC"].members} == {"NASDAQ"}
    small = {universe.companies[i].market_cap_2024 for i in benchmarks["^RUT"].members}
    assert max(small) <= np.median([c.market_cap_2024 for c in COMPANIES])
    for benchmark in benchmarks.values():
        if is_sector_benchmark(benchmark.instrument):
            assert {universe.companies[i].sector for i in benchmark.members} == {benchmark.instrument.sector}
            assert 30 <= benchmark.level_2024 <= 250
