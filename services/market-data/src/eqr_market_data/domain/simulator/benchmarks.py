"""Index and equity-ETF levels (sector ETFs and SPY) from their members' split-adjusted prices.

A benchmark's level is ``sum(weight_i * adjusted_price_i)`` over its members, so its daily
return is the weighted (by cap, price or equal-at-2024 value) return of the members, and the
fixed weights are scaled so that the level at the end-2024 prices is the real 2024 level.
A split does not move a level: the members' prices are taken in end-2024 shares (see ``daily``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eqr_market_data.domain.model import AssetClass
from eqr_market_data.domain.simulator.universe import (
    FloatArray,
    IntArray,
    SimulatedUniverse,
    Weighting,
)

RANGE_DIVERSIFICATION = 0.5
"""Members do not all peak at the same minute: a level's excursion beyond its open/close is
this fraction of its members' weighted excursion."""
ETF_TURNOVER = 0.01
"""Share of the members' dollar volume traded in the ETF."""


@dataclass(frozen=True)
class BenchmarkWeights:
    symbol: str
    is_etf: bool
    members: IntArray
    weights: FloatArray
    """Level points per split-adjusted dollar of each member's price."""
    anchor_shares: FloatArray
    """Each member's share of the level at end-2024 prices."""

    def level(self, adjusted_prices: FloatArray) -> float:
        return float(self.weights @ adjusted_prices[self.members])


@dataclass(frozen=True)
class BenchmarkBar:
    open: float
    high: float
    low: float
    close: float
    volume: int


def benchmark_weights(universe: SimulatedUniverse) -> tuple[BenchmarkWeights, ...]:
    p = universe.params
    result = []
    for benchmark in universe.benchmarks:
        members = np.array(benchmark.members, dtype=np.int64)
        raw = {
            Weighting.CAP: p.shares[members],
            Weighting.PRICE: np.ones(len(members)),
            Weighting.EQUAL: 1.0 / p.anchor_price[members],
        }[benchmark.weighting]
        anchor_value = raw * p.anchor_price[members]
        scale = benchmark.level_2024 / float(anchor_value.sum())
        result.append(
            BenchmarkWeights(
                symbol=benchmark.instrument.symbol,
                is_etf=benchmark.instrument.asset_class == AssetClass.ETF,
                members=members,
                weights=raw * scale,
                anchor_shares=anchor_value / anchor_value.sum(),
            )
        )
    return tuple(result)


def benchmark_bar(
    weights: BenchmarkWeights,
    adjusted_open: FloatArray,
    adjusted_close: FloatArray,
    up_excursion: FloatArray,
    down_excursion: FloatArray,
    volume: FloatArray,
    dollar_volume: FloatArray,
) -> BenchmarkBar:
    """One benchmark's daily bar from its members' arrays (all aligned with the universe).

    ``up_excursion`` is ``high / max(open, close) - 1`` per equity, ``down_excursion``
    ``1 - low / min(open, close)``.
    """
    m = weights.members
    open_, close = weights.level(adjusted_open), weights.level(adjusted_close)
    contribution = weights.weights * adjusted_close[m]
    share = contribution / contribution.sum()
    up = RANGE_DIVERSIFICATION * float(share @ up_excursion[m])
    down = RANGE_DIVERSIFICATION * float(share @ down_excursion[m])
    open_, close = round(open_, 2), round(close, 2)
    high = max(round(max(open_, close) * (1.0 + up), 2), open_, close)
    low = min(round(min(open_, close) * (1.0 - down), 2), open_, close)
    if weights.is_etf:
        traded = round(ETF_TURNOVER * float(dollar_volume[m].sum()) / close)
    else:
        traded = round(float(volume[m].sum()))
    return BenchmarkBar(open_, high, low, close, max(traded, 1))
