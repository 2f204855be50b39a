"""The 11 GICS sectors, their SPDR sector ETFs, and the sector-level simulation parameters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sector:
    name: str
    """The GICS sector name."""
    etf_symbol: str
    etf_name: str
    etf_price_2024: float
    """Approximate close of the ETF at the end of 2024, the level the simulated ETF is scaled to."""
    factor_vol: float
    """Annualised volatility of the sector factor."""
    trend_growth: float
    """Long-run annual growth of the sector's share prices (excluding dividends)."""


SECTORS: tuple[Sector, ...] = (
    Sector("Information Technology", "XLK", "Technology Select Sector SPDR Fund", 233.0, 0.12, 0.13),
    Sector("Financials", "XLF", "Financial Select Sector SPDR Fund", 48.0, 0.10, 0.07),
    Sector("Health Care", "XLV", "Health Care Select Sector SPDR Fund", 138.0, 0.08, 0.07),
    Sector("Energy", "XLE", "Energy Select Sector SPDR Fund", 86.0, 0.18, 0.03),
    Sector(
        "Consumer Discretionary", "XLY", "Consumer Discretionary Select Sector SPDR Fund", 225.0, 0.09, 0.09
    ),
    Sector("Consumer Staples", "XLP", "Consumer Staples Select Sector SPDR Fund", 79.0, 0.07, 0.05),
    Sector("Industrials", "XLI", "Industrial Select Sector SPDR Fund", 132.0, 0.07, 0.07),
    Sector("Materials", "XLB", "Materials Select Sector SPDR Fund", 84.0, 0.10, 0.05),
    Sector("Utilities", "XLU", "Utilities Select Sector SPDR Fund", 76.0, 0.11, 0.04),
    Sector("Real Estate", "XLRE", "Real Estate Select Sector SPDR Fund", 41.0, 0.11, 0.03),
    Sector(
        "Communication Services", "XLC", "Communication Services Select Sector SPDR Fund", 97.0, 0.10, 0.08
    ),
)

SECTOR_NAMES: tuple[str, ...] = tuple(sector.name for sector in SECTORS)


def sector_position(name: str) -> int:
    try:
        return SECTOR_NAMES.index(name)
    except ValueError:
        raise ValueError(f"not a GICS sector: {name!r}") from None
