"""Which stored splits and dividends apply to a series of bars.

A source's corporate actions describe that source's prices. Bars of one symbol can come from
several sources (a fallback served some days while the primary failed), and so can its stored
actions; an action applies only where the bar on or after its ex-date comes from the same
source, or was imported (an operator's file takes any source's actions). Another source's
action would scale the prices wrongly: a made-up split of the simulator applied to a real
provider's bars, say.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from eqr_market_data.domain.model import Bar, CorporateAction, Source


def actions_for(bars: Sequence[Bar], actions: Sequence[CorporateAction]) -> list[CorporateAction]:
    """``bars``: oldest first."""
    days = [bar.start.date() for bar in bars]
    applying = []
    for action in actions:
        index = bisect_left(days, action.ex_date)
        if index < len(bars) and bars[index].source in (action.source, Source.IMPORT):
            applying.append(action)
    return applying
