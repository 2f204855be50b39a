"""Events the market-data service announces besides quotes (which are published directly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BarsImported:
    symbol: str
    bars: int
    source: str
    occurred_at: datetime
