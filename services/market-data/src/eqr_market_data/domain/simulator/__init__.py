"""The built-in market simulator: a pure, seeded model of a universe of real US companies."""

from eqr_market_data.domain.simulator.market import SimulatedMarket
from eqr_market_data.domain.simulator.model import MarketState

__all__ = ["MarketState", "SimulatedMarket"]
