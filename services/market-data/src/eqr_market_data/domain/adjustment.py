"""Split- and dividend-adjusted prices, back-adjusted from the latest bar.

The convention of CRSP's price factors and Yahoo's adjusted close: the newest bar keeps its
raw prices and every earlier bar is scaled by the product of the factors of the actions
whose ex-date comes after it.

- A split of ``r`` new shares per old on ex-date ``d``: prices before ``d`` are divided by
  ``r`` and volumes multiplied by ``r``.
- A cash dividend ``D`` on ex-date ``d``, with ``C`` the raw close of the last bar before
  ``d``: prices before ``d`` are multiplied by ``1 - D / C``; volumes are unchanged.

So the adjusted return across an ex-date is the return against the exchange's reference
price ``(C - D) / r``. Actions that cannot be applied (a non-positive ratio or dividend, a
dividend of at least the previous close, or an ex-date not after the first bar or after
the last one) leave the prices as they are.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from eqr_market_data.domain.model import ActionKind, Bar, CorporateAction


@dataclass(frozen=True)
class Factor:
    """What bars before ``ex_date`` are multiplied by."""

    ex_date: date
    price: float
    volume: float


def adjustment_factors(bars: Sequence[Bar], actions: Sequence[CorporateAction]) -> list[Factor]:
    """The factor of every applicable action, newest ex-date first; ``bars`` oldest first."""
    if not bars:
        return []
    days = [bar.start.date() for bar in bars]
    factors: list[Factor] = []
    for action in actions:
        if not days[0] < action.ex_date <= days[-1]:
            continue
        if action.kind is ActionKind.SPLIT and action.split_ratio > 0:
            factors.append(Factor(action.ex_date, 1.0 / action.split_ratio, action.split_ratio))
        elif action.kind is ActionKind.DIVIDEND and action.dividend > 0:
            previous_close = bars[bisect_left(days, action.ex_date) - 1].close
            if action.dividend < previous_close:
                factors.append(Factor(action.ex_date, 1.0 - action.dividend / previous_close, 1.0))
    return sorted(factors, key=lambda factor: factor.ex_date, reverse=True)


def adjust_bars(bars: Sequence[Bar], actions: Sequence[CorporateAction]) -> list[Bar]:
    """``bars`` (one symbol, any order) adjusted for ``actions``, oldest first."""
    ordered = sorted(bars, key=lambda bar: bar.start)
    return apply_factors(ordered, adjustment_factors(ordered, actions))


def apply_factors(bars: Sequence[Bar], factors: Sequence[Factor]) -> list[Bar]:
    """``bars`` (one symbol, any interval, any order) scaled by every factor whose ex-date comes
    after the bar's day, oldest first. The factors may come from another series of the same
    symbol (intraday bars take those of the daily series, which knows the closes before
    ex-dates that fall outside their window)."""
    ordered = sorted(bars, key=lambda bar: bar.start)
    newest_first = sorted(factors, key=lambda factor: factor.ex_date, reverse=True)
    applied = 0
    price_factor = volume_factor = 1.0
    adjusted: list[Bar] = []
    for bar in reversed(ordered):
        day = bar.start.date()
        while applied < len(newest_first) and newest_first[applied].ex_date > day:
            price_factor *= newest_first[applied].price
            volume_factor *= newest_first[applied].volume
            applied += 1
        adjusted.append(_scaled(bar, price_factor, volume_factor))
    adjusted.reverse()
    return adjusted


def _scaled(bar: Bar, price_factor: float, volume_factor: float) -> Bar:
    if price_factor == 1.0 and volume_factor == 1.0:
        return bar
    return replace(
        bar,
        open=bar.open * price_factor,
        high=bar.high * price_factor,
        low=bar.low * price_factor,
        close=bar.close * price_factor,
        volume=round(bar.volume * volume_factor),
    )
