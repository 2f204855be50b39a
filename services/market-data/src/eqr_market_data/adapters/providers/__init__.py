"""Real market-data providers behind the ``MarketDataSource`` port, each rate-limited,
retried with backoff and guarded by a circuit breaker (see ``client``)."""

from eqr_market_data.adapters.providers.alphavantage import AlphaVantageSource
from eqr_market_data.adapters.providers.client import Resilience
from eqr_market_data.adapters.providers.finnhub import FinnhubSource
from eqr_market_data.adapters.providers.yahoo import YahooSource

__all__ = ["AlphaVantageSource", "FinnhubSource", "Resilience", "YahooSource"]
