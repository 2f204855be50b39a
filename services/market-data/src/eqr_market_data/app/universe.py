"""The instruments this service knows, held in memory (a few hundred; the store is the truth)."""

from __future__ import annotations

from collections.abc import Iterable

from eqr_market_data.domain.errors import UnknownSymbol
from eqr_market_data.domain.market import is_sector_benchmark
from eqr_market_data.domain.model import AssetClass, Instrument


class Universe:
    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        self._by_symbol: dict[str, Instrument] = {}
        self.add(instruments)

    def add(self, instruments: Iterable[Instrument]) -> None:
        for instrument in instruments:
            self._by_symbol[instrument.symbol] = instrument

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._by_symbol

    def __len__(self) -> int:
        return len(self._by_symbol)

    def get(self, symbol: str) -> Instrument:
        try:
            return self._by_symbol[symbol]
        except KeyError:
            raise UnknownSymbol(symbol) from None

    def all(self) -> list[Instrument]:
        return list(self._by_symbol.values())

    def symbols(self) -> list[str]:
        return list(self._by_symbol)

    def indices(self) -> list[Instrument]:
        return [i for i in self._by_symbol.values() if i.asset_class == AssetClass.INDEX]

    def sector_benchmarks(self) -> list[Instrument]:
        return [i for i in self._by_symbol.values() if is_sector_benchmark(i)]

    def peers(self, symbol: str) -> list[Instrument]:
        """Equities of the same industry, then of the same sector, excluding ``symbol``."""
        target = self.get(symbol)
        equities = [
            i for i in self._by_symbol.values() if i.asset_class == AssetClass.EQUITY and i.symbol != symbol
        ]
        same_industry = [i for i in equities if target.industry and i.industry == target.industry]
        same_sector = [
            i for i in equities if target.sector and i.sector == target.sector and i not in same_industry
        ]
        return same_industry + same_sector
