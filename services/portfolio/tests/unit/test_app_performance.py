"""The daily value series behind performance and risk, rebuilt from a ledger and daily closes held
in memory: a hand-worked week, and every day of longer ledgers against an exact reference that
replays the ledger up to each day on its own."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from uuid import UUID, uuid4

import numpy as np
import pytest

from eqr_portfolio.app.caller import Caller
from eqr_portfolio.app.dependencies import Dependencies, Limits
from eqr_portfolio.app.performance import (
    History,
    PerformanceReport,
    RiskReport,
    _history,
    portfolio_performance,
    portfolio_risk,
)
from eqr_portfolio.app.ports import CloseSeries, ClosesQuery, InstrumentFacts, MarketQuote, UserRef
from eqr_portfolio.domain.access import AccessRole
from eqr_portfolio.domain.book import replay
from eqr_portfolio.domain.errors import LedgerRejected, ValidationFailed
from eqr_portfolio.domain.performance import ValuePoint
from eqr_portfolio.domain.transactions import LedgerPolicy, Portfolio, Transaction, TransactionKind

D = Decimal
OWNER = UUID(int=1)
MONDAY = date(2025, 3, 3)
WEEK = [MONDAY + timedelta(days=n) for n in range(5)]
K = TransactionKind


class FakeWork:
    """A unit of work over one portfolio and its ledger; reads only."""

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


class FakeMarket:
    def __init__(self, closes: dict[str, dict[date, str]]) -> None:
        self.closes = closes

    async def quotes(self, symbols: Collection[str]) -> dict[str, MarketQuote]:
        return {}

    async def instruments(self, symbols: Collection[str]) -> dict[str, InstrumentFacts]:
        return {}

    async def close_series(self, queries: Sequence[ClosesQuery]) -> list[CloseSeries]:
        found = []
        for q in queries:
            inside = sorted(
                (d, float(c)) for d, c in self.closes.get(q.symbol, {}).items() if q.start <= d <= q.end
            )
            found.append(
                CloseSeries(
                    np.array([d.toordinal() for d, _ in inside], dtype=np.int64),
                    np.array([c for _, c in inside], dtype=np.float64),
                )
            )
        return found


class NoDirectory:
    async def find_user(self, email: str) -> UserRef | None:
        return None


class FixedClock:
    def __init__(self, day: date) -> None:
        self.day = day

    def now(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, 22, tzinfo=UTC)


def portfolio(benchmark: str | None = None) -> Portfolio:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    return Portfolio(uuid4(), OWNER, "Test", "", "USD", benchmark, LedgerPolicy(), at, at)


def entry(n: int, kind: TransactionKind, day: date, symbol: str | None = None, **fields: str) -> Transaction:
    return Transaction(uuid4(), kind, day, n, symbol, **{name: D(value) for name, value in fields.items()})


def dependencies(
    owned: Portfolio, ledger: list[Transaction], market: FakeMarket, today: date
) -> Dependencies:
    return Dependencies(
        unit_of_work=lambda: FakeWork(owned, ledger),
        clock=FixedClock(today),
        market_data=market,
        directory=NoDirectory(),
        options=None,  # type: ignore[arg-type]
        limits=Limits(),
    )


async def history_of(
    ledger: list[Transaction], closes: dict[str, dict[date, str]], today: date, benchmark: str | None = None
) -> History:
    owned = portfolio(benchmark)
    return await _history(dependencies(owned, ledger, FakeMarket(closes), today), Caller(OWNER), owned.id)


def rows(points: list[ValuePoint]) -> list[tuple[date, float, float]]:
    return [(p.day, float(p.value), float(p.net_flow)) for p in points]


def holding_rows(history: History, symbol: str) -> list[tuple[date, float, float]]:
    """The holding's (day, value, net flow) on the days it is held or money moves."""
    values, flows = history.holdings[symbol]
    days = [p.day for p in history.points]
    return [(day, v, f) for day, v, f in zip(days, values.tolist(), flows.tolist(), strict=True) if v or f]


# Monday to Friday. AAA has no close on Wednesday (its last close carries over); CCC first closes
# on Wednesday (before that it is worth what it last traded at: 20, then 22); BBB is unknown to
# market data (always the last traded price).
CLOSES = {
    "AAA": {WEEK[0]: "50.5", WEEK[1]: "51", WEEK[3]: "60", WEEK[4]: "61"},
    "CCC": {WEEK[2]: "23", WEEK[3]: "24", WEEK[4]: "25"},
}
LEDGER = [
    entry(1, K.DEPOSIT, WEEK[0], amount="2000"),
    entry(2, K.BUY, WEEK[0], "AAA", quantity="10", price="50", commission="1"),  # costs 501
    entry(3, K.BUY, WEEK[0], "CCC", quantity="5", price="20"),  # 100
    entry(4, K.BUY, WEEK[1], "CCC", quantity="5", price="22"),  # 110
    entry(5, K.BUY, WEEK[1], "BBB", quantity="2", price="100"),  # 200
    entry(6, K.DIVIDEND, WEEK[2], "AAA", amount="5"),
    entry(7, K.SELL, WEEK[3], "AAA", quantity="4", price="60", commission="1"),  # brings 239
    entry(8, K.BUY, WEEK[3], "BBB", quantity="1", price="110"),  # 110
]


async def test_a_hand_worked_week() -> None:
    history = await history_of(LEDGER, CLOSES, today=WEEK[4])
    # Cash: 2000 - 501 - 100 = 1399; - 110 - 200 = 1089; + 5 = 1094; + 239 - 110 = 1223.
    # Mon 1399 + 10 x 50.5 + 5 x 20 = 2004      Tue 1089 + 10 x 51 + 10 x 22 + 2 x 100 = 2019
    # Wed 1094 + 10 x 51 + 10 x 23 + 200 = 2034  Thu 1223 + 6 x 60 + 10 x 24 + 3 x 110 = 2153
    # Fri 1223 + 6 x 61 + 10 x 25 + 330 = 2169
    assert rows(history.points) == [
        (WEEK[0], 2004.0, 2000.0),
        (WEEK[1], 2019.0, 0.0),
        (WEEK[2], 2034.0, 0.0),
        (WEEK[3], 2153.0, 0.0),
        (WEEK[4], 2169.0, 0.0),
    ]
    # Each holding's value and the money into it (buys +, sells and dividends -), on the days
    # it is held or money moves: BBB has no row on Monday.
    assert holding_rows(history, "AAA") == [
        (WEEK[0], 505.0, 501.0),
        (WEEK[1], 510.0, 0.0),
        (WEEK[2], 510.0, -5.0),
        (WEEK[3], 360.0, -239.0),
        (WEEK[4], 366.0, 0.0),
    ]
    assert holding_rows(history, "CCC") == [
        (WEEK[0], 100.0, 100.0),
        (WEEK[1], 220.0, 110.0),
        (WEEK[2], 230.0, 0.0),
        (WEEK[3], 240.0, 0.0),
        (WEEK[4], 250.0, 0.0),
    ]
    assert holding_rows(history, "BBB") == [
        (WEEK[1], 200.0, 200.0),
        (WEEK[2], 200.0, 0.0),
        (WEEK[3], 330.0, 110.0),
        (WEEK[4], 330.0, 0.0),
    ]
    assert history.benchmark is None


async def test_a_closed_position_has_rows_up_to_its_last_flow() -> None:
    ledger = [
        entry(1, K.DEPOSIT, WEEK[0], amount="1000"),
        entry(2, K.BUY, WEEK[0], "AAA", quantity="10", price="50"),
        entry(3, K.SELL, WEEK[1], "AAA", quantity="10", price="51"),
    ]
    history = await history_of(ledger, CLOSES, today=WEEK[4])
    assert holding_rows(history, "AAA") == [(WEEK[0], 505.0, 500.0), (WEEK[1], 0.0, -510.0)]
    assert [float(p.value) for p in history.points] == [1005.0, 1010.0, 1010.0, 1010.0]


async def test_a_trade_on_a_day_off_counts_from_the_next_day_and_the_benchmark_is_aligned() -> None:
    saturday = WEEK[4] + timedelta(days=1)
    monday = saturday + timedelta(days=2)
    closes = {"AAA": {WEEK[4]: "61", monday: "62"}, "^GSPC": {WEEK[4]: "5000", monday: "5050"}}
    ledger = [
        entry(1, K.DEPOSIT, WEEK[4], amount="1000"),
        entry(2, K.BUY, saturday, "AAA", quantity="10", price="60"),
    ]
    history = await history_of(ledger, closes, today=monday, benchmark="^GSPC")
    assert rows(history.points) == [(WEEK[4], 1000.0, 1000.0), (monday, 1020.0, 0.0)]
    assert holding_rows(history, "AAA") == [(monday, 620.0, 600.0)]
    assert history.benchmark is not None
    assert history.benchmark.daily_returns == pytest.approx((0.01,))


async def test_the_performance_report_is_built_on_it() -> None:
    owned = portfolio()
    deps = dependencies(owned, LEDGER, FakeMarket(CLOSES), WEEK[4])
    report = await portfolio_performance(deps, Caller(OWNER), owned.id, first_day=None, last_day=None)
    assert report.history.series.cumulative == pytest.approx(2169 / 2000 - 1)
    assert report.contributions is not None
    total = sum(h.contribution for h in report.contributions.holdings) + report.contributions.cash_and_other
    assert total == pytest.approx(report.history.series.cumulative)


def reference_value(ledger: list[Transaction], closes: dict[str, dict[date, str]], day: date) -> Decimal:
    """Exact: the book replayed up to ``day`` alone, each position at its last close on or before
    ``day`` or, before its first close, at its last trade price on or before ``day``."""
    book = replay(ledger, LedgerPolicy(), through=day)
    value = book.cash
    for symbol, position in book.positions.items():
        known = [d for d in closes.get(symbol, {}) if d <= day]
        if known:
            price = D(closes[symbol][max(known)])
        else:
            trades = [
                t for t in ledger if t.symbol == symbol and t.kind in (K.BUY, K.SELL) and t.trade_date <= day
            ]
            price = max(trades, key=lambda t: (t.trade_date, t.sequence)).price
        value += position.quantity * price
    return value


@pytest.mark.parametrize("seed", range(8))
async def test_every_day_matches_a_replay_up_to_that_day(seed: int) -> None:
    rng = random.Random(seed)
    days = [date(2024, 1, 1) + timedelta(days=n) for n in range(60)]
    closes = {
        symbol: {day: f"{rng.uniform(5, 500):.2f}" for day in days[first:] if rng.random() < 0.9}
        for symbol, first in (("AAA", 0), ("BBB", 10), ("CCC", 25))
    }
    ledger = [entry(0, K.DEPOSIT, days[0], amount="100000")]
    for n in range(1, 80):
        day, symbol = rng.choice(days), rng.choice(["AAA", "BBB", "CCC", "ZZZ"])  # ZZZ: no closes
        price = f"{rng.uniform(5, 500):.2f}"
        kind = rng.choice([K.BUY, K.BUY, K.SELL, K.DIVIDEND, K.DEPOSIT, K.WITHDRAWAL])
        if kind is K.BUY:
            ledger.append(entry(n, K.BUY, day, symbol, quantity=str(rng.randint(1, 20)), price=price))
        elif kind is K.DEPOSIT:
            ledger.append(entry(n, K.DEPOSIT, day, amount=f"{rng.uniform(1, 999):.2f}"))
        elif kind is K.DIVIDEND:
            ledger.append(entry(n, K.DIVIDEND, day, symbol, amount="1.25"))
        elif kind is K.WITHDRAWAL:
            ledger.append(entry(n, K.WITHDRAWAL, day, amount="0.5"))
        else:
            ledger.append(entry(n, K.SELL, day, symbol, quantity="1", price=price))
        try:  # keep only entries the ledger accepts (no selling more than is held)
            replay(ledger, LedgerPolicy())
        except LedgerRejected:
            ledger.pop()
    history = await history_of(ledger, closes, today=days[-1])
    for point in history.points:
        assert float(point.value) == pytest.approx(
            float(reference_value(ledger, closes, point.day)), abs=1e-6
        )


# --- the day grid ------------------------------------------------------------------------------


async def test_a_cash_only_portfolio_has_every_weekday_to_today() -> None:
    # No symbol and no benchmark: no closes at all, so the days are the weekdays from inception
    # to today (Friday). Monday's 1000 and Thursday's 500 are the only changes.
    ledger = [entry(1, K.DEPOSIT, WEEK[0], amount="1000"), entry(2, K.DEPOSIT, WEEK[3], amount="500")]
    history = await history_of(ledger, {}, today=WEEK[4])
    assert rows(history.points) == [
        (WEEK[0], 1000.0, 1000.0),
        (WEEK[1], 1000.0, 0.0),
        (WEEK[2], 1000.0, 0.0),
        (WEEK[3], 1500.0, 500.0),
        (WEEK[4], 1500.0, 0.0),
    ]


async def test_a_weekend_entry_of_a_cash_only_portfolio_counts_from_the_next_weekday() -> None:
    # Deposits on Friday and Saturday, today is the next Tuesday: Friday, Monday, Tuesday.
    friday, saturday = WEEK[4], WEEK[4] + timedelta(days=1)
    monday, tuesday = friday + timedelta(days=3), friday + timedelta(days=4)
    ledger = [entry(1, K.DEPOSIT, friday, amount="1000"), entry(2, K.DEPOSIT, saturday, amount="250")]
    history = await history_of(ledger, {}, today=tuesday)
    assert rows(history.points) == [
        (friday, 1000.0, 1000.0),
        (monday, 1250.0, 250.0),
        (tuesday, 1250.0, 0.0),
    ]


async def test_entries_after_the_last_close_have_their_own_days() -> None:
    # AAA closes Monday to Wednesday only; Thursday's deposit and Friday's withdrawal come after
    # the last close, each on its own day, with AAA at Wednesday's close (52).
    closes = {"AAA": {WEEK[0]: "50", WEEK[1]: "51", WEEK[2]: "52"}}
    ledger = [
        entry(1, K.DEPOSIT, WEEK[0], amount="1000"),
        entry(2, K.BUY, WEEK[0], "AAA", quantity="10", price="50"),  # cash 500
        entry(3, K.DEPOSIT, WEEK[3], amount="300"),  # cash 800
        entry(4, K.WITHDRAWAL, WEEK[4], amount="100"),  # cash 700
    ]
    history = await history_of(ledger, closes, today=WEEK[4] + timedelta(days=3))
    assert rows(history.points) == [
        (WEEK[0], 1000.0, 1000.0),  # 500 + 10 x 50
        (WEEK[1], 1010.0, 0.0),
        (WEEK[2], 1020.0, 0.0),
        (WEEK[3], 1320.0, 300.0),  # 800 + 10 x 52
        (WEEK[4], 1220.0, -100.0),  # 700 + 10 x 52
    ]


async def test_the_benchmarks_closes_give_the_days_when_no_holding_has_any() -> None:
    # ZZZ is unknown to market data: the benchmark's closes (Monday to Thursday) are the days.
    closes = {"^GSPC": {day: "5000" for day in WEEK[:4]}}
    ledger = [
        entry(1, K.DEPOSIT, WEEK[0], amount="1000"),
        entry(2, K.BUY, WEEK[1], "ZZZ", quantity="5", price="20"),
    ]
    history = await history_of(ledger, closes, today=WEEK[4], benchmark="^GSPC")
    assert rows(history.points) == [
        (WEEK[0], 1000.0, 1000.0),
        (WEEK[1], 1000.0, 0.0),
        (WEEK[2], 1000.0, 0.0),
        (WEEK[3], 1000.0, 0.0),
    ]


async def test_weekdays_stand_in_before_the_first_close() -> None:
    # Cash from Monday; BBB, bought on Wednesday, first closes on Thursday: Monday to Wednesday
    # are weekdays, then BBB's closes.
    closes = {"BBB": {WEEK[3]: "11", WEEK[4]: "12"}}
    ledger = [
        entry(1, K.DEPOSIT, WEEK[0], amount="100"),
        entry(2, K.BUY, WEEK[2], "BBB", quantity="10", price="10"),
    ]
    history = await history_of(ledger, closes, today=WEEK[4])
    assert rows(history.points) == [
        (WEEK[0], 100.0, 100.0),
        (WEEK[1], 100.0, 0.0),
        (WEEK[2], 100.0, 0.0),  # bought at 10
        (WEEK[3], 110.0, 0.0),
        (WEEK[4], 120.0, 0.0),
    ]


# --- requests ----------------------------------------------------------------------------------


async def performance_of(
    ledger: list[Transaction],
    closes: dict[str, dict[date, str]],
    today: date,
    first_day: date | None = None,
    last_day: date | None = None,
) -> PerformanceReport:
    owned = portfolio()
    deps = dependencies(owned, ledger, FakeMarket(closes), today)
    return await portfolio_performance(deps, Caller(OWNER), owned.id, first_day=first_day, last_day=last_day)


async def risk_of(
    ledger: list[Transaction],
    closes: dict[str, dict[date, str]],
    today: date,
    first_day: date | None = None,
    last_day: date | None = None,
) -> RiskReport:
    owned = portfolio()
    deps = dependencies(owned, ledger, FakeMarket(closes), today)
    return await portfolio_risk(
        deps, Caller(OWNER), owned.id, first_day=first_day, last_day=last_day, risk_free_rate=0.0
    )


def violations(error: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [v.field for v in error.value.violations]


@pytest.mark.parametrize("report", [performance_of, risk_of])
@pytest.mark.parametrize(
    ("first_day", "last_day", "fields"),
    [
        (date.min, None, ["start_date"]),
        (None, date.min, ["end_date"]),
        (date(1899, 12, 31), date(1, 1, 1), ["start_date", "end_date"]),
        (date(1, 1, 1), date(9999, 12, 31), ["start_date"]),
    ],
)
async def test_days_before_1900_are_refused_naming_the_request_field(
    report: Callable[..., Awaitable[object]], first_day: date | None, last_day: date | None, fields: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as error:
        await report(LEDGER, CLOSES, WEEK[4], first_day, last_day)
    assert violations(error) == fields


@pytest.mark.parametrize("report", [performance_of, risk_of])
async def test_the_last_day_of_the_calendar_is_a_range_end_like_any_other(
    report: Callable[..., Awaitable[object]],
) -> None:
    await report(LEDGER, CLOSES, WEEK[4], None, date.max)
    await report(LEDGER, CLOSES, WEEK[4], WEEK[1], date.max)


@pytest.mark.parametrize("report", [performance_of, risk_of])
@pytest.mark.parametrize(
    ("first_day", "last_day", "field"),
    [
        # The history runs from Monday (WEEK[0]) to Friday (WEEK[4]), the last close.
        (WEEK[4] + timedelta(days=1), None, "start_date"),
        (WEEK[4] + timedelta(days=3), WEEK[4] + timedelta(days=10), "start_date"),
        (None, WEEK[0] - timedelta(days=1), "end_date"),
        (WEEK[0] - timedelta(days=30), WEEK[0] - timedelta(days=1), "end_date"),
        (WEEK[3], WEEK[2], "start_date"),
    ],
)
async def test_a_range_outside_the_history_names_the_day_at_fault(
    report: Callable[..., Awaitable[object]], first_day: date | None, last_day: date | None, field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        await report(LEDGER, CLOSES, WEEK[4], first_day, last_day)
    assert violations(error) == [field]


# --- money-weighted returns by period ----------------------------------------------------------

# Monday: 1000 in, 10 AAA at 100 (close 100). Tuesday: 1010 more, 10 AAA at 101 (close 101): 2020.
# Wednesday: close 102.01, 2040.20. At a daily growth of x = 1.01 (an IRR of 1.01 ** 365 - 1):
#   since inception: 1000 x^2 + 1010 x = 1020.10 + 1020.10 = 2040.20 (paid in Monday and Tuesday);
#   Tuesday to Wednesday: Monday's close 1000 and Tuesday's 1010 in, the same equation;
#   Wednesday (1D): 2020 x = 2040.20.
MWR_CLOSES = {"AAA": {WEEK[0]: "100", WEEK[1]: "101", WEEK[2]: "102.01"}}
MWR_LEDGER = [
    entry(1, K.DEPOSIT, WEEK[0], amount="1000"),
    entry(2, K.BUY, WEEK[0], "AAA", quantity="10", price="100"),
    entry(3, K.DEPOSIT, WEEK[1], amount="1010"),
    entry(4, K.BUY, WEEK[1], "AAA", quantity="10", price="101"),
]


async def test_a_money_weighted_return_under_a_year_is_the_periods_own() -> None:
    report = await performance_of(MWR_LEDGER, MWR_CLOSES, WEEK[2], first_day=WEEK[1], last_day=WEEK[2])
    periods = {name: figures for name, figures in report.periods}
    one_day, inception, custom = periods["1d"], periods["inception"], periods["custom"]
    assert one_day is not None
    assert inception is not None
    assert custom is not None
    # Not 1.01 ** 365 - 1 (3678 %): the day's own 1 %.
    assert one_day.mwr == pytest.approx(0.01, rel=1e-9)
    # The money was in for two days (Monday's close to Wednesday's), at 1 % a day.
    assert inception.mwr == pytest.approx(1.01**2 - 1, rel=1e-9)
    assert custom.mwr == pytest.approx(1.01**2 - 1, rel=1e-9)
    assert (one_day.twr.annualised, inception.twr.annualised, custom.twr.annualised) == (None, None, None)
    assert periods["1w"] is None


async def test_a_money_weighted_return_over_a_year_or_more_is_annual() -> None:
    # 1000 in at 100 on 4 January 2021, worth 1210 two years (730 days) later: 10 % a year, not
    # the 21 % the two years made together.
    start, end = date(2021, 1, 4), date(2023, 1, 4)
    closes = {"AAA": {start: "100", end: "121"}}
    ledger = [
        entry(1, K.DEPOSIT, start, amount="1000"),
        entry(2, K.BUY, start, "AAA", quantity="10", price="100"),
    ]
    report = await performance_of(ledger, closes, end)
    periods = {name: figures for name, figures in report.periods}
    inception, one_year = periods["inception"], periods["1y"]
    assert inception is not None
    assert one_year is not None
    assert inception.twr.annualised is not None
    assert inception.mwr == pytest.approx(0.1, rel=1e-9)
    # The last year: 1000 at the close of 4 January 2022 (the close then was still 100) to 1210.
    assert one_year.twr.annualised is not None
    assert one_year.mwr == pytest.approx(0.21, rel=1e-9)
