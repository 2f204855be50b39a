"""The market at a glance: benchmarks, movers and breadth, computed from quotes."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from eqr_market_data.domain.model import AssetClass, Breadth, Instrument, Quote

Pair = tuple[Instrument, Quote]


@dataclass(frozen=True)
class MarketSnapshot:
    as_of: datetime
    indices: list[Pair] = field(default_factory=list)
    sectors: list[Pair] = field(default_factory=list)
    gainers: list[Pair] = field(default_factory=list)
    losers: list[Pair] = field(default_factory=list)
    most_active: list[Pair] = field(default_factory=list)
    breadth: Breadth = field(default_factory=Breadth)


@dataclass(frozen=True)
class YearRange:
    """The highest high and lowest low of the last 52 weeks, before today."""

    high: float
    low: float


def is_sector_benchmark(instrument: Instrument) -> bool:
    return instrument.asset_class == AssetClass.ETF and bool(instrument.sector)


def snapshot(
    instruments: Sequence[Instrument],
    quotes: Mapping[str, Quote],
    year_ranges: Mapping[str, YearRange],
    *,
    as_of: datetime,
    movers: int = 10,
) -> MarketSnapshot:
    """Benchmarks in universe order; movers and breadth over equities with a usable quote."""
    priced = [(i, quotes[i.symbol]) for i in instruments if i.symbol in quotes]
    equities = [
        (i, q) for i, q in priced if i.asset_class == AssetClass.EQUITY and not math.isnan(q.change_percent)
    ]
    by_change = sorted(equities, key=lambda pair: (pair[1].change_percent, pair[0].symbol))
    return MarketSnapshot(
        as_of=as_of,
        indices=[(i, q) for i, q in priced if i.asset_class == AssetClass.INDEX],
        sectors=[(i, q) for i, q in priced if is_sector_benchmark(i)],
        gainers=[pair for pair in reversed(by_change) if pair[1].change > 0][:movers],
        losers=[pair for pair in by_change if pair[1].change < 0][:movers],
        most_active=sorted(equities, key=lambda pair: (-pair[1].volume, pair[0].symbol))[:movers],
        breadth=breadth(equities, year_ranges),
    )


def breadth(equities: Sequence[Pair], year_ranges: Mapping[str, YearRange]) -> Breadth:
    advancers = sum(1 for _, q in equities if q.change > 0)
    decliners = sum(1 for _, q in equities if q.change < 0)
    new_highs = new_lows = 0
    for instrument, quote in equities:
        year = year_ranges.get(instrument.symbol)
        if year is None:
            continue
        new_highs += quote.high > year.high
        new_lows += quote.low < year.low
    return Breadth(
        advancers=advancers,
        decliners=decliners,
        unchanged=len(equities) - advancers - decliners,
        new_highs=new_highs,
        new_lows=new_lows,
    )


def mean_sentiment(scores: Sequence[float]) -> float:
    return sum(scores) / len(scores) if scores else 0.0
