"""Everything a use case needs, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from eqr_portfolio.app.ledger_cache import LedgerCache
from eqr_portfolio.app.ports import Clock, Directory, MarketData, OptionPricing, UnitOfWork


@dataclass(frozen=True)
class Limits:
    max_import_rows: int = 50_000
    max_transactions: int = 100_000
    default_page_size: int = 50
    max_page_size: int = 200


@dataclass(frozen=True)
class Dependencies:
    unit_of_work: Callable[[], UnitOfWork]
    clock: Clock
    market_data: MarketData
    options: OptionPricing
    directory: Directory
    limits: Limits
    ledgers: LedgerCache = field(default_factory=LedgerCache)
