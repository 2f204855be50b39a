"""Daily bars and corporate actions: resuming, dividends and splits on their ex-dates."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import pytest

from eqr_market_data.domain.model import ActionKind, Bar
from eqr_market_data.domain.simulator.daily import DailyGenerator, DailyRun
from eqr_market_data.domain.simulator.model import FactorModel
from eqr_market_data.domain.simulator.universe import SimulatedUniverse, build_universe

SEED = 11


def weekdays(start: date, end: date) -> list[date]:
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [d for d in days if d.weekday() < 5]


def daily(universe: SimulatedUniverse, seed: int = SEED) -> DailyGenerator:
    return DailyGenerator(universe, FactorModel(universe.params, universe.sector_vol), seed)


def with_params(universe: SimulatedUniverse, **changes: object) -> SimulatedUniverse:
    return dataclasses.replace(universe, params=dataclasses.replace(universe.params, **changes))


def bar_of(run: DailyRun, symbol: str) -> Bar:
    return next(b for b in run.bars if b.symbol == symbol)


@pytest.fixture(scope="module")
def universe() -> SimulatedUniverse:
    return build_universe()


@pytest.fixture(scope="module")
def year(universe: SimulatedUniverse) -> tuple[list[date], DailyRun]:
    days = weekdays(date(2018, 1, 1), date(2019, 12, 31))
    return days, daily(universe).run(days, None)


def test_resuming_from_the_state_equals_generating_in_one_go(
    universe: SimulatedUniverse, year: tuple[list[date], DailyRun]
) -> None:
    days, whole = year
    generator = daily(universe)
    first = generator.run(days[:200], None)
    rest = generator.run(days[200:], first.state)
    assert first.bars + rest.bars == whole.bars
    assert first.actions + rest.actions == whole.actions
    assert rest.state == whole.state


def test_days_must_follow_the_state(universe: SimulatedUniverse, year: tuple[list[date], DailyRun]) -> None:
    days, whole = year
    with pytest.raises(ValueError, match="does not follow"):
        daily(universe).run(days[-3:], whole.state)
    with pytest.raises(ValueError, match="does not follow"):
        daily(universe).run([days[1], days[0]], None)


def test_payers_go_ex_dividend_once_a_quarter(
    universe: SimulatedUniverse, year: tuple[list[date], DailyRun]
) -> None:
    _, run = year
    dividends = [a for a in run.actions if a.kind == ActionKind.DIVIDEND]
    for symbol in ("KO", "XOM", "JPM", "VZ", "O"):
        ex_dates = [a.ex_date for a in dividends if a.symbol == symbol]
        assert len(ex_dates) == 8
        gaps = [(later - earlier).days for earlier, later in pairwise(ex_dates)]
        assert all(85 <= gap <= 96 for gap in gaps)
    assert not [a for a in dividends if a.symbol in {"AMZN", "TSLA", "BRK.B"}]


def test_a_dividend_lowers_the_raw_price_by_its_cash_on_the_ex_date(
    universe: SimulatedUniverse, year: tuple[list[date], DailyRun]
) -> None:
    days, run = year
    action = next(a for a in run.actions if a.symbol == "KO" and a.kind == ActionKind.DIVIDEND)
    ex = days.index(action.ex_date)
    before = daily(universe).run(days[:ex], None)
    position = [c.symbol for c in universe.companies].index("KO")
    months = universe.params.dividend_month.copy()
    months[position] = months[position] % 3 + 1
    no_dividend = daily(with_params(universe, dividend_month=months)).run([days[ex]], before.state)
    paid = daily(universe).run([days[ex]], before.state)

    previous = before.state.closes["KO"]
    assert action.dividend == round(previous * 0.031 / 4, 2)
    expected = bar_of(no_dividend, "KO").close * (previous - action.dividend) / previous
    assert bar_of(paid, "KO").close == pytest.approx(expected, abs=0.011)
    assert bar_of(paid, "PG") == bar_of(no_dividend, "PG")


def test_a_split_divides_the_raw_prices_and_multiplies_the_volume(
    universe: SimulatedUniverse, year: tuple[list[date], DailyRun]
) -> None:
    days, _ = year
    before = daily(universe).run(days[:100], None)
    position = [c.symbol for c in universe.companies].index("AAPL")
    thresholds = universe.params.split_threshold.copy()
    thresholds[position] = before.state.closes["AAPL"] * 0.9
    splitting = daily(with_params(universe, split_threshold=thresholds))
    unsplit = daily(universe).run(days[100:102], before.state)
    split = splitting.run(days[100:102], before.state)

    assert [(a.symbol, a.ex_date, a.split_ratio) for a in split.actions if a.kind == ActionKind.SPLIT] == [
        ("AAPL", days[100], 4.0)
    ]
    raw, reference = bar_of(split, "AAPL"), bar_of(unsplit, "AAPL")
    for price, unsplit_price in zip(
        (raw.open, raw.high, raw.low, raw.close),
        (reference.open, reference.high, reference.low, reference.close),
        strict=True,
    ):
        assert price == pytest.approx(unsplit_price / 4, abs=0.011)
    assert raw.volume == pytest.approx(reference.volume * 4, abs=3)
    assert split.state.split_factors["AAPL"] == 4.0
    assert bar_of(split, "^GSPC").close == pytest.approx(bar_of(unsplit, "^GSPC").close, abs=0.1)
    next_day = [b for b in split.bars if b.symbol == "AAPL"][1]
    assert abs(np.log(next_day.close / raw.close)) < 0.2
