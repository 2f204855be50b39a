"""Corporate actions of a simulated trading day: quarterly dividends and occasional splits.

Payers go ex-dividend on the first trading day on or after each of their four scheduled
dates a year (a fixed day of every third month); the dividend is a quarter of the yield at
the previous close.

Splits follow a plan drawn per seed and name (``split_plan``): a handful of names split once
each between 2016 and 2024, growth names more often than others. A
planned name has a target day, a ratio (2, 3, 4 or 10 for 1: the smallest that makes its
pre-split price at least ``SPLIT_PRICE`` on its trend) and a trigger price, its pre-split trend
price on the target day. The split goes ex on the trading day after the name's first close
at or above the trigger within a year either side of the target day (so it follows a run-up
of the price, early or late as the path has it), or at the end of that window if the price
never got there.

The companies' end-2024 facts are post-split prices and share counts, so a planned name's
raw prices before its split are ``ratio`` times its prices in end-2024 shares: its trend in
those shares, its market cap and its weight in the benchmarks are as without the split, and
no split goes ex after November 2024 (see ``daily``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from eqr_market_data.domain.model import ActionKind, CorporateAction
from eqr_market_data.domain.simulator.streams import EPOCH, Stream, day_index, generator
from eqr_market_data.domain.simulator.universe import (
    ANCHOR_DAY,
    DAYS_PER_YEAR,
    EquityParams,
    FloatArray,
    IntArray,
)

SPLIT_RATIOS = (2.0, 3.0, 4.0, 10.0)
"""New shares per old share, the usual forward splits; a name takes the smallest that does."""
SPLIT_PRICE = 300.0
"""The least pre-split price of a split: boards split a share price that has grown high."""
SPLIT_CHANCE_PER_GROWTH = 1.0
"""A name's chance of a split in the decade per unit of its trend growth (the technology
sector's 13% a year gives 13%): about nine of the 150 names split."""
SPLIT_WINDOW_DAYS = 365
"""How far either side of its target day a name's split may go ex."""
FIRST_SPLIT_TARGET = date(2017, 1, 3)
LAST_SPLIT_TARGET = date(2023, 11, 29)
"""So every split goes ex between 2016 and the end of November 2024: all of them are done
before the end-2024 prices, which are the real post-split ones."""

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SplitPlan:
    """Each equity's one split, arrays aligned with ``SimulatedUniverse.companies``."""

    ratio: FloatArray
    """New shares per old share; 1 for names that do not split."""
    trigger: FloatArray
    """The raw (pre-split) close at or above which the split goes ex the next trading day."""
    watch_from: IntArray
    """The first day (calendar days since the epoch) whose close can trigger the split."""
    deadline: IntArray
    """The split goes ex on the first trading day on or after this day at the latest."""
    target: IntArray
    """The day the trigger is the trend price of; a run that starts later starts split."""

    @classmethod
    def none(cls, count: int) -> SplitPlan:
        never = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
        return cls(np.ones(count), np.full(count, np.inf), never, never, never)

    def ratios_due(
        self, previous_closes: FloatArray, split_factors: FloatArray, previous_index: int, index: int
    ) -> FloatArray:
        """The split ratio going ex on day ``index`` (1 for names not splitting), given the
        closes of day ``previous_index`` and the split factors in force on it."""
        pending = split_factors < self.ratio
        triggered = (previous_index >= self.watch_from) & (previous_closes >= self.trigger)
        late = index >= self.deadline
        result: FloatArray = np.where(pending & (triggered | late), self.ratio, 1.0)
        return result

    def starting_factors(self, index: int) -> FloatArray:
        """The split factors of a run that starts after day ``index`` at the trend prices."""
        result: FloatArray = np.where(index >= self.target, self.ratio, 1.0)
        return result


def split_plan(symbols: Sequence[str], params: EquityParams, seed: int) -> SplitPlan:
    """Which names split, when and how, for the market of ``seed``: each name's draws come
    from its own stream, so a name's plan does not depend on the rest of the universe."""
    first, last = day_index(FIRST_SPLIT_TARGET), day_index(LAST_SPLIT_TARGET)
    draws = np.array([generator(seed, Stream.SPLITS, 0, symbol).random(2) for symbol in symbols])
    draws = draws.reshape(len(symbols), 2)
    target = first + np.floor(draws[:, 1] * (last - first + 1)).astype(np.int64)
    years = (target - day_index(ANCHOR_DAY)) / DAYS_PER_YEAR
    price_at_target = params.anchor_price * np.exp(params.trend_growth * years)
    ratios = np.array(SPLIT_RATIOS)
    high_enough = ratios[np.newaxis, :] * price_at_target[:, np.newaxis] >= SPLIT_PRICE
    ratio = ratios[np.argmax(high_enough, axis=1)]
    splits = high_enough.any(axis=1) & (draws[:, 0] < SPLIT_CHANCE_PER_GROWTH * params.trend_growth)
    never = np.iinfo(np.int64).max
    return SplitPlan(
        ratio=np.where(splits, ratio, 1.0),
        trigger=np.where(splits, ratio * price_at_target, np.inf),
        watch_from=np.where(splits, target - SPLIT_WINDOW_DAYS, never),
        deadline=np.where(splits, target + SPLIT_WINDOW_DAYS, never),
        target=np.where(splits, target, never),
    )


@dataclass(frozen=True)
class DayActions:
    dividend: FloatArray
    """Cash per (pre-split) share going ex today; 0 for names without one."""
    split_ratio: FloatArray
    """New shares per old share; 1 for names that do not split today."""

    def records(self, symbols: Sequence[str], day: date) -> list[CorporateAction]:
        actions = [
            CorporateAction(symbol=symbols[i], ex_date=day, kind=ActionKind.DIVIDEND, dividend=amount)
            for i, amount in enumerate(self.dividend.tolist())
            if amount > 0
        ]
        actions += [
            CorporateAction(symbol=symbols[i], ex_date=day, kind=ActionKind.SPLIT, split_ratio=ratio)
            for i, ratio in enumerate(self.split_ratio.tolist())
            if ratio != 1.0
        ]
        return actions


def day_actions(
    params: EquityParams,
    splits: SplitPlan,
    previous_closes: FloatArray,
    split_factors: FloatArray,
    previous_day: date,
    day: date,
) -> DayActions:
    """The actions going ex on ``day``, the trading day after ``previous_day``."""
    cash = np.round(previous_closes * params.dividend_yield / 4.0, 2)
    dividend = np.where(_ex_dividend(params, previous_day, day) & (cash >= 0.01), cash, 0.0)
    previous_index, index = (previous_day - EPOCH).days, (day - EPOCH).days  # the start may be day -1
    split_ratio = splits.ratios_due(previous_closes, split_factors, previous_index, index)
    return DayActions(dividend=dividend, split_ratio=split_ratio)


def _ex_dividend(params: EquityParams, previous_day: date, day: date) -> BoolArray:
    """Names with a scheduled dividend date in ``(previous_day, day]``."""
    due = np.zeros(len(params.dividend_month), dtype=np.bool_)
    after, until = previous_day.toordinal(), day.toordinal()
    year, month = previous_day.year, previous_day.month
    while (year, month) <= (day.year, day.month):
        scheduled = date(year, month, 1).toordinal() - 1 + params.dividend_day
        in_cycle = (month - params.dividend_month) % 3 == 0
        due |= in_cycle & (scheduled > after) & (scheduled <= until)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return due
