"""Daily bars and corporate actions: resuming, dividends and splits on their ex-dates."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import pytest

from eqr_market_data.domain.model import ActionKind, Bar
from eqr_market_data.domain.simulator.actions import SPLIT_RATIOS, SplitPlan, split_plan
from eqr_market_data.domain.simulator.daily import DailyGenerator, DailyRun
from eqr_market_data.domain.simulator.model import FactorModel
from eqr_market_data.domain.simulator.streams import day_index
from eqr_market_data.domain.simulator.universe import SimulatedUniverse, build_universe

SEED = 11


def weekdays(start: date, end: date) -> list[date]:
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [d for d in days if d.weekday() < 5]


def daily(universe: SimulatedUniverse, seed: int = SEED, splits: SplitPlan | None = None) -> DailyGenerator:
    return DailyGenerator(universe, FactorModel(universe.params, universe.sector_vol), seed, splits=splits)


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


def only_split(universe: SimulatedUniverse, symbol: str, ratio: float, after: date) -> SplitPlan:
    """A plan in which ``symbol`` alone splits, going ex on the trading day after ``after``."""
    position = [c.symbol for c in universe.companies].index(symbol)
    plan = SplitPlan.none(len(universe.companies))
    ratios, triggers, watch = plan.ratio.copy(), plan.trigger.copy(), plan.watch_from.copy()
    ratios[position], triggers[position], watch[position] = ratio, 0.0, day_index(after)
    return dataclasses.replace(plan, ratio=ratios, trigger=triggers, watch_from=watch)


def test_a_split_divides_the_raw_prices_and_multiplies_the_volume(
    universe: SimulatedUniverse, year: tuple[list[date], DailyRun]
) -> None:
    days, _ = year
    count = len(universe.companies)
    plain = daily(universe, splits=SplitPlan.none(count)).run(days[:102], None)
    split = daily(universe, splits=only_split(universe, "AAPL", 4.0, days[99])).run(days[:102], None)

    assert [(a.symbol, a.ex_date, a.split_ratio) for a in split.actions if a.kind == ActionKind.SPLIT] == [
        ("AAPL", days[100], 4.0)
    ]
    raw = [b for b in split.bars if b.symbol == "AAPL"]
    reference = [b for b in plain.bars if b.symbol == "AAPL"]
    for position, (bar, unsplit) in enumerate(zip(raw, reference, strict=True)):
        # Before the split an AAPL share is four of the end-2024 shares the model works in: the
        # same path, but for the rounding to cents of a price four times as large.
        shares = 4.0 if position < 100 else 1.0
        for price, unsplit_price in zip(
            (bar.open, bar.high, bar.low, bar.close),
            (unsplit.open, unsplit.high, unsplit.low, unsplit.close),
            strict=True,
        ):
            assert price == pytest.approx(unsplit_price * shares, rel=1e-3)
        assert bar.volume == pytest.approx(unsplit.volume / shares, rel=1e-3, abs=2)
    assert raw[100].open == pytest.approx(raw[99].close / 4, rel=0.1)
    assert split.state.split_factors["AAPL"] == 4.0
    assert plain.state.split_factors["AAPL"] == 1.0
    for symbol in ("^GSPC", "^IXIC", "XLK", "MSFT"):
        assert bar_of_day(split, symbol, days[101]).close == pytest.approx(
            bar_of_day(plain, symbol, days[101]).close, rel=1e-4
        )


def bar_of_day(run: DailyRun, symbol: str, day: date) -> Bar:
    return next(b for b in run.bars if b.symbol == symbol and b.start.date() == day)


def test_a_planned_split_waits_for_its_trigger_or_its_deadline(universe: SimulatedUniverse) -> None:
    days = weekdays(date(2018, 1, 1), date(2018, 6, 29))
    position = [c.symbol for c in universe.companies].index("MSFT")
    plan = only_split(universe, "MSFT", 2.0, days[0])
    triggers, deadlines = plan.trigger.copy(), plan.deadline.copy()
    triggers[position], deadlines[position] = np.inf, day_index(days[60])
    late = daily(universe, splits=dataclasses.replace(plan, trigger=triggers, deadline=deadlines)).run(
        days, None
    )
    assert [(a.symbol, a.ex_date) for a in late.actions if a.kind == ActionKind.SPLIT] == [("MSFT", days[60])]

    # With a trigger the price reaches, the split goes ex the day after the first close at or
    # above it (the path before the split is the same whatever the plan says about later).
    closes = [b.close for b in late.bars if b.symbol == "MSFT"][:60]
    trigger = closes[20]
    first_reached = next(n for n, close in enumerate(closes) if close >= trigger)
    triggers[position] = trigger
    early = daily(universe, splits=dataclasses.replace(plan, trigger=triggers, deadline=deadlines)).run(
        days, None
    )
    assert [(a.symbol, a.ex_date) for a in early.actions if a.kind == ActionKind.SPLIT] == [
        ("MSFT", days[first_reached + 1])
    ]

    # Once split, a name stays split: the plan holds one split per name.
    assert late.state.split_factors["MSFT"] == 2.0
    more = weekdays(date(2018, 7, 2), date(2018, 7, 31))
    again = daily(universe, splits=dataclasses.replace(plan, trigger=triggers, deadline=deadlines)).run(
        more, late.state
    )
    assert not [a for a in again.actions if a.kind == ActionKind.SPLIT]


def test_the_split_plan_is_a_function_of_the_seed(universe: SimulatedUniverse) -> None:
    symbols = [c.symbol for c in universe.companies]
    first = split_plan(symbols, universe.params, 42)
    assert np.array_equal(first.ratio, split_plan(symbols, universe.params, 42).ratio)
    assert np.array_equal(first.target, split_plan(symbols, universe.params, 42).target)
    planned = [split_plan(symbols, universe.params, seed).ratio for seed in range(20)]
    counts = [int(np.sum(ratios > 1)) for ratios in planned]
    assert any(not np.array_equal(planned[0], other) for other in planned[1:])
    assert 3 <= np.mean(counts) <= 15
    assert {float(r) for ratios in planned for r in ratios} <= {1.0, *SPLIT_RATIOS}
    # A name's plan comes from its own stream: the rest of the universe does not change it.
    few = build_universe(universe.companies[::7])
    alone = split_plan([c.symbol for c in few.companies], few.params, 42)
    assert np.array_equal(alone.ratio, first.ratio[::7])
    assert np.array_equal(alone.target, first.target[::7])
