from __future__ import annotations

import pytest

from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.errors import UnknownSymbol
from eqr_market_data.domain.model import AssetClass, Instrument


def _equity(symbol: str, sector: str, industry: str) -> Instrument:
    return Instrument(symbol, symbol, "NASDAQ", "USD", AssetClass.EQUITY, sector=sector, industry=industry)


UNIVERSE = Universe(
    [
        _equity("AAPL", "Information Technology", "Technology Hardware"),
        _equity("DELL", "Information Technology", "Technology Hardware"),
        _equity("MSFT", "Information Technology", "Software"),
        _equity("XOM", "Energy", "Oil & Gas"),
        Instrument("XLK", "Tech ETF", "NYSE", "USD", AssetClass.ETF, sector="Information Technology"),
        Instrument("^GSPC", "S&P 500", "INDEX", "USD", AssetClass.INDEX),
    ]
)


def test_peers_are_the_same_industry_then_the_same_sector() -> None:
    assert [i.symbol for i in UNIVERSE.peers("AAPL")] == ["DELL", "MSFT"]


def test_benchmarks_by_kind() -> None:
    assert [i.symbol for i in UNIVERSE.indices()] == ["^GSPC"]
    assert [i.symbol for i in UNIVERSE.sector_benchmarks()] == ["XLK"]


def test_unknown_symbol() -> None:
    with pytest.raises(UnknownSymbol):
        UNIVERSE.get("NOPE")
    assert "NOPE" not in UNIVERSE
