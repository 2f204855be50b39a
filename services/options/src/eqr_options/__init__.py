"""Options service: pricing, Greeks, implied volatility, chains and surfaces, strategies."""
