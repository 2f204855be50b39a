"""Contribution by holding: how much of the portfolio's time-weighted return each holding made.

**Daily.** On each day a holding's gain (``H_t - H_{t-1} - G_t``, where ``G_t`` is the money
that moved into it: buys positive, sells and dividends negative) is divided by the *portfolio's*
capital for the day, the denominator of its daily TWR (``V_{t-1} + inflow``, see
``performance``). As the portfolio's value is its holdings plus cash, the holdings' daily
contributions plus cash's add up to the portfolio's daily return. A day without capital earns
the portfolio 0, and every holding 0 with it.

**Linking.** Daily contributions are compounded the way the TWR compounds: the day's
contribution is weighted by the portfolio's growth from the start of the period to the start of
the day (Frongello's geometric linking, the portfolio-only form of GRAP). The weighted daily
returns telescope, ``sum(r_t * prod_{s<t}(1 + r_s)) = prod(1 + r_t) - 1``, so the linked
contributions add up exactly to the period's TWR, with no smoothing factor (Carino's needs
logarithms and fails on a -100 % day; Menchero's spreads a residual). A gain made when the
portfolio had already grown weighs more than the same daily return made earlier, as it does in
the TWR itself.

**Cash and other** is the linked contribution of what is not in a holding: interest and fees on
cash, and anything the holdings' rows do not explain. A day missing from a holding's rows means
it was not held that day (value 0, no flow).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from eqr_portfolio.domain.errors import ValidationFailed, ViolationCollector
from eqr_portfolio.domain.performance import (
    FloatArray,
    ValuePoint,
    daily_gains_and_capital,
    return_on_capital,
    value_arrays,
)


@dataclass(frozen=True)
class HoldingContribution:
    holding: str
    contribution: float


@dataclass(frozen=True)
class ContributionReport:
    first_day: date
    last_day: date
    portfolio_return: float
    """The portfolio's TWR over the period."""
    holdings: tuple[HoldingContribution, ...]
    """Largest contribution first."""
    cash_and_other: float


def contribution_by_holding(
    portfolio: Sequence[ValuePoint],
    holdings: Mapping[str, Sequence[ValuePoint]],
    first_day: date,
    last_day: date,
) -> ContributionReport | None:
    """Each holding's share of the portfolio's TWR over ``first_day``..``last_day``. ``holdings``
    map a name to the holding's daily value and net flow on the portfolio's days. ``None`` when
    the period starts before the portfolio's history (as in ``performance.range_return``)."""
    days, values, flows = value_arrays(portfolio, "portfolio", allow_negative_values=False)
    return contribution_of_arrays(days, values, flows, _holding_arrays(holdings, days), first_day, last_day)


def contribution_of_arrays(
    days: Sequence[date],
    values: FloatArray,
    net_flows: FloatArray,
    holdings: Mapping[str, tuple[FloatArray, FloatArray]],
    first_day: date,
    last_day: date,
) -> ContributionReport | None:
    """``contribution_by_holding`` of a portfolio series already converted by ``value_arrays``,
    with each holding's (values, net flows) as arrays on every one of the portfolio's days."""
    if last_day < first_day:
        raise ValidationFailed.single("last_day", "must not be before first_day")
    if first_day < days[0]:
        return None
    if any(len(column) != len(days) for pair in holdings.values() for column in pair):
        raise ValidationFailed.single(
            "holdings", "need a value and a net flow on each of the portfolio's days"
        )
    gains, capital = daily_gains_and_capital(values, net_flows)
    low, high = bisect_left(days, first_day), bisect_right(days, last_day)
    daily_return = return_on_capital(gains, capital)[low:high]
    growth_before = np.cumprod(np.concatenate(([1.0], 1.0 + daily_return)))[:-1]

    def linked(daily_contribution: FloatArray) -> float:
        return float(np.sum(growth_before * daily_contribution))

    per_holding = {
        name: return_on_capital(daily_gains_and_capital(own_values, own_flows)[0], capital)[low:high]
        for name, (own_values, own_flows) in holdings.items()
    }
    cash = daily_return - sum(per_holding.values(), np.zeros_like(daily_return))
    ranked = sorted(
        (HoldingContribution(name, linked(daily)) for name, daily in per_holding.items()),
        key=lambda h: (-h.contribution, h.holding),
    )
    return ContributionReport(
        first_day=first_day,
        last_day=last_day,
        portfolio_return=float(np.prod(1.0 + daily_return) - 1.0),
        holdings=tuple(ranked),
        cash_and_other=linked(cash),
    )


def _holding_arrays(
    holdings: Mapping[str, Sequence[ValuePoint]], days: tuple[date, ...]
) -> dict[str, tuple[FloatArray, FloatArray]]:
    """Each holding's daily values and net flows on the portfolio's days (0 on a missing day)."""
    position = {day: i for i, day in enumerate(days)}
    found = ViolationCollector()
    arrays: dict[str, tuple[FloatArray, FloatArray]] = {}
    for name, rows in holdings.items():
        if not rows:
            continue
        own_days, own_values, own_flows = value_arrays(rows, f"holdings[{name}]", allow_negative_values=True)
        values, flows = np.zeros(len(days)), np.zeros(len(days))
        for i, day in enumerate(own_days):
            if day not in position:
                found.add(f"holdings[{name}][{i}].day", "is not a day of the portfolio's series")
                continue
            values[position[day]], flows[position[day]] = own_values[i], own_flows[i]
        arrays[name] = values, flows
    found.raise_if_any()
    return arrays
