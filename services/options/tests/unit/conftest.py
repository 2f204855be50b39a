"""Fakes of the options service's ports, for fast tests of the use cases."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import numpy as np
import pytest

from eqr_options.app.batches import Limits
from eqr_options.app.chains import ChainBook, ChainConfig
from eqr_options.app.dependencies import Dependencies
from eqr_options.app.ports import UnderlyingMarket

TODAY = date(2026, 11, 27)
SPOT = 190.0
PREVIOUS_CLOSE = 188.0


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 11, 27, 15, 30, tzinfo=UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeMarket:
    """One underlying, AAPL, at 190 (188 the close before), with a year of closes whose daily log
    returns alternate ±1.5%, two 0.25 dividends in the last year, and a close of 185 on Friday
    2026-11-20."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, date, bool]] = []

    async def underlying(self, symbol: str, day: date, *, live: bool) -> UnderlyingMarket | None:
        self.calls.append((symbol, day, live))
        if symbol != "AAPL":
            return None
        returns = np.tile([0.015, -0.015], 126)
        closes = SPOT * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
        return UnderlyingMarket(
            symbol="AAPL",
            price=SPOT,
            previous_close=PREVIOUS_CLOSE,
            as_of=datetime(2026, 11, 27, 15, 30, tzinfo=UTC),
            source="simulator",
            closes=closes,
            dividends=((date(2026, 8, 7), 0.25), (date(2026, 5, 8), 0.25), (date(2025, 8, 8), 5.0)),
            settled_closes=(
                (date(2026, 11, 19), 182.0),
                (date(2026, 11, 20), 185.0),
                (date(2026, 11, 26), 188.0),
            ),
        )


@pytest.fixture
def market() -> FakeMarket:
    return FakeMarket()


@pytest.fixture
def chains(market: FakeMarket) -> ChainBook:
    return ChainBook(market, FixedClock(), ChainConfig(rate=0.045, seed=7, ttl_seconds=60.0))


@pytest.fixture
def deps(chains: ChainBook) -> Dependencies:
    def no_database() -> object:
        raise AssertionError("this use case must not touch the database")

    return Dependencies(
        unit_of_work=no_database,  # type: ignore[arg-type]
        clock=FixedClock(),
        chains=chains,
        limits=Limits(max_rows=1_000, max_american_rows=100),
        risk_free_rate=0.045,
        max_positions=50,
    )
