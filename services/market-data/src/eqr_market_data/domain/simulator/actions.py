"""Corporate actions of a simulated trading day: quarterly dividends and rare 4:1 splits.

Payers go ex-dividend on the first trading day on or after each of their four scheduled
dates a year (a fixed day of every third month); the dividend is a quarter of the yield at
the previous close. A name splits 4:1 on the day after it closes above its split threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from eqr_market_data.domain.model import ActionKind, CorporateAction
from eqr_market_data.domain.simulator.universe import EquityParams, FloatArray

SPLIT_RATIO = 4.0

BoolArray = npt.NDArray[np.bool_]


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
    params: EquityParams, previous_closes: FloatArray, previous_day: date, day: date
) -> DayActions:
    """The actions going ex on ``day``, the trading day after ``previous_day``."""
    cash = np.round(previous_closes * params.dividend_yield / 4.0, 2)
    dividend = np.where(_ex_dividend(params, previous_day, day) & (cash >= 0.01), cash, 0.0)
    split_ratio = np.where(previous_closes > params.split_threshold, SPLIT_RATIO, 1.0)
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
