"""Use cases refusing what they cannot do by the name the caller knows: a valuation day outside
the calendar, a rebalance of a short position, and a rebalance's trades by their place in the
request. Ledgers and quotes are held in memory."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from types import TracebackType
from uuid import UUID, uuid4

import numpy as np
import pytest

from eqr_portfolio.app import rebalance
from eqr_portfolio.app.caller import Caller
from eqr_portfolio.app.dependencies import Dependencies, Limits
from eqr_portfolio.app.ports import (
    CloseSeries,
    ClosesQuery,
    InstrumentFacts,
    MarketQuote,
    OptionMark,
    UserRef,
)
from eqr_portfolio.app.valuation import closes_at, value_portfolio
from eqr_portfolio.domain.access import AccessRole
from eqr_portfolio.domain.errors import LedgerRejected, ValidationFailed
from eqr_portfolio.domain.option_contracts import OptionContract
from eqr_portfolio.domain.rebalance import RebalanceOptions, TradeSide
from eqr_portfolio.domain.transactions import LedgerPolicy, Portfolio, Transaction, TransactionKind

D = Decimal
K = TransactionKind
OWNER = UUID(int=1)
TODAY = date(2025, 3, 14)
NOW = datetime(2025, 3, 14, 15, tzinfo=UTC)


class FakeWork:
    """A unit of work over one portfolio and its ledger; a write is refused (nothing here commits)."""

    def __init__(self, portfolio: Portfolio, ledger: list[Transaction]) -> None:
        self.portfolios = self
        self.transactions = self
        self._portfolio, self._ledger = portfolio, ledger

    async def __aenter__(self) -> FakeWork:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        return None

    async def role_of(self, portfolio_id: UUID, user_id: UUID) -> AccessRole | None:
        return AccessRole.OWNER if user_id == OWNER else None

    async def get(self, portfolio_id: UUID, *, for_update: bool = False) -> Portfolio | None:
        return self._portfolio

    async def ledger(self, portfolio_id: UUID) -> list[Transaction]:
        return list(self._ledger)

    async def add_many(self, portfolio_id: UUID, entries: Sequence[Transaction]) -> list[Transaction]:
        raise AssertionError("nothing is written by these tests")


class FakeMarket:
    def __init__(self, prices: Mapping[str, str]) -> None:
        self.prices = {s: D(p) for s, p in prices.items()}
        self.asked: list[ClosesQuery] = []

    async def quotes(self, symbols: Collection[str]) -> dict[str, MarketQuote]:
        return {
            s: MarketQuote(s, self.prices[s], self.prices[s], NOW, stale=False)
            for s in symbols
            if s in self.prices
        }

    async def instruments(self, symbols: Collection[str]) -> dict[str, InstrumentFacts]:
        return {}

    async def close_series(self, queries: Sequence[ClosesQuery]) -> list[CloseSeries]:
        self.asked.extend(queries)
        empty = CloseSeries(np.array([], dtype=np.int64), np.array([], dtype=np.float64))
        return [empty for _ in queries]


class NoOptions:
    async def marks(
        self, positions: Mapping[OptionContract, Decimal], as_of: date | None = None
    ) -> dict[OptionContract, OptionMark]:
        return {}


class NoDirectory:
    async def find_user(self, email: str) -> UserRef | None:
        return None


class FixedClock:
    def now(self) -> datetime:
        return NOW


def portfolio(policy: LedgerPolicy = LedgerPolicy()) -> Portfolio:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    return Portfolio(uuid4(), OWNER, "Test", "", "USD", None, policy, at, at)


def entry(n: int, kind: TransactionKind, symbol: str | None = None, **fields: str) -> Transaction:
    return Transaction(uuid4(), kind, date(2025, 3, 3), n, symbol, **{k: D(v) for k, v in fields.items()})


def dependencies(owned: Portfolio, ledger: list[Transaction], market: FakeMarket) -> Dependencies:
    return Dependencies(
        unit_of_work=lambda: FakeWork(owned, ledger),
        clock=FixedClock(),
        market_data=market,
        options=NoOptions(),
        directory=NoDirectory(),
        limits=Limits(),
    )


LEDGER = [
    entry(1, K.DEPOSIT, amount="10000"),
    entry(2, K.BUY, "AAPL", quantity="10", price="200"),
]


def fields_of(error: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [v.field for v in error.value.violations]


# --- valuation days ----------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [date.min, date(1899, 12, 31)])
async def test_a_valuation_day_before_1900_is_refused_as_as_of(as_of: date) -> None:
    owned = portfolio()
    deps = dependencies(owned, LEDGER, FakeMarket({"AAPL": "210"}))
    with pytest.raises(ValidationFailed) as error:
        await value_portfolio(deps, Caller(OWNER), owned.id, as_of=as_of)
    assert fields_of(error) == ["as_of"]
    assert error.value.violations[0].message == "must be on or after 1900-01-01"


async def test_a_valuation_on_the_first_allowed_day_is_of_the_book_then() -> None:
    owned = portfolio()
    market = FakeMarket({"AAPL": "210"})
    deps = dependencies(owned, LEDGER, market)
    valued = await value_portfolio(deps, Caller(OWNER), owned.id, as_of=date(1900, 1, 1))
    assert valued.book.cash == 0  # nothing was traded yet
    assert market.asked == []


async def test_looking_back_for_a_close_stops_at_the_first_day_of_the_calendar() -> None:
    market = FakeMarket({})
    assert await closes_at(market, ["AAPL"], date(1, 1, 5)) == {}
    assert [(q.start, q.end) for q in market.asked] == [(date.min, date(1, 1, 5))]


# --- rebalancing a short -----------------------------------------------------------------------


async def test_a_short_position_is_refused_by_name_not_as_a_negative_quantity() -> None:
    owned = portfolio(LedgerPolicy(allow_short=True))
    ledger = [*LEDGER, entry(3, K.SELL, "MSFT", quantity="5", price="400")]
    deps = dependencies(owned, ledger, FakeMarket({"AAPL": "210", "MSFT": "410", "SPY": "500"}))
    with pytest.raises(ValidationFailed) as error:
        await rebalance.propose(
            deps,
            Caller(OWNER),
            owned.id,
            targets=[("SPY", D("0.5"))],
            template_id="",
            options=RebalanceOptions(),
        )
    assert [(v.field, v.message) for v in error.value.violations] == [
        (
            "targets",
            "rebalancing works on long positions; MSFT is held short (-5): buy it back before rebalancing",
        )
    ]


# --- applying a rebalance ----------------------------------------------------------------------


def trade(symbol: str, side: TradeSide, quantity: str, price: str = "100") -> rebalance.TradeToApply:
    return rebalance.TradeToApply(symbol, side, D(quantity), D(price), D(0))


async def test_bad_trades_are_named_by_their_place_in_the_request() -> None:
    owned = portfolio()
    deps = dependencies(owned, LEDGER, FakeMarket({}))
    trades = [
        trade("SPY", TradeSide.BUY, "1"),
        trade("AGG", TradeSide.BUY, "0"),
        trade("AAPL", TradeSide.SELL, "-2"),
    ]
    with pytest.raises(ValidationFailed) as error:
        await rebalance.apply(deps, Caller(OWNER), owned.id, trades, None)
    assert fields_of(error) == ["trades[1].quantity", "trades[2].quantity"]


async def test_a_trade_the_ledger_refuses_is_named_by_its_place_in_the_request() -> None:
    # Sells are written first, so the sell of AAPL (third in the request) is the first entry.
    owned = portfolio()
    deps = dependencies(owned, LEDGER, FakeMarket({}))
    trades = [
        trade("SPY", TradeSide.BUY, "1"),
        trade("AGG", TradeSide.BUY, "1"),
        trade("AAPL", TradeSide.SELL, "11", "200"),
    ]
    with pytest.raises(LedgerRejected) as error:
        await rebalance.apply(deps, Caller(OWNER), owned.id, trades, None)
    assert error.value.field == "trades[2].quantity"
    assert "only 10 held" in error.value.reason


async def test_a_backdated_rebalance_that_breaks_a_later_entry_names_its_trade_date() -> None:
    # AAPL's 10 shares are sold on 10 March; a rebalance dated 5 March selling 4 of them leaves
    # 6 for that later sell.
    owned = portfolio()
    later = Transaction(uuid4(), K.SELL, date(2025, 3, 10), 3, "AAPL", quantity=D(10), price=D(210))
    deps = dependencies(owned, [*LEDGER, later], FakeMarket({}))
    trades = [trade("AAPL", TradeSide.SELL, "4", "205")]
    with pytest.raises(LedgerRejected) as error:
        await rebalance.apply(deps, Caller(OWNER), owned.id, trades, date(2025, 3, 5))
    assert error.value.field == "trade_date"
