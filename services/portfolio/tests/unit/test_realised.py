"""The realised-gains report on hand-worked ledgers; every expected figure is derived in the comments."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from eqr_portfolio.domain.book import Book, replay
from eqr_portfolio.domain.realised import (
    RealisedReport,
    RealisedTotals,
    first_anniversary,
    is_long_term,
    realised_report,
)
from eqr_portfolio.domain.transactions import CostMethod, LedgerPolicy, Transaction, TransactionKind

D = Decimal
K = TransactionKind
FIFO = LedgerPolicy(cost_method=CostMethod.FIFO)
AVERAGE = LedgerPolicy(cost_method=CostMethod.AVERAGE)
SHORTS = LedgerPolicy(allow_short=True)
OPTION = "AAA261218C00050000"

_recorded = itertools.count(1)


def entry(kind: TransactionKind, day: date, symbol: str, **fields: str) -> Transaction:
    n = next(_recorded)
    return Transaction(UUID(int=n), kind, day, n, symbol, **{name: D(v) for name, v in fields.items()})


def buy(day: date, symbol: str, quantity: str, price: str, commission: str = "0") -> Transaction:
    return entry(K.BUY, day, symbol, quantity=quantity, price=price, commission=commission)


def sell(day: date, symbol: str, quantity: str, price: str, commission: str = "0") -> Transaction:
    return entry(K.SELL, day, symbol, quantity=quantity, price=price, commission=commission)


def rows(report: RealisedReport) -> list[tuple[object, ...]]:
    """(symbol, quantity, opened, closed, cost, proceeds, commission, realised, days, long-term)."""
    return [
        (
            r.lot.symbol,
            r.lot.quantity,
            r.lot.opened_on,
            r.lot.closed_on,
            r.lot.cost,
            r.lot.proceeds,
            r.lot.commission,
            r.lot.realised_pnl,
            r.holding_days,
            r.long_term,
        )
        for r in report.lots
    ]


def figures(totals: RealisedTotals) -> tuple[object, ...]:
    """(lots, cost, proceeds, commission, short-term, long-term, realised)."""
    return (
        totals.lots,
        totals.cost,
        totals.proceeds,
        totals.commission,
        totals.short_term_pnl,
        totals.long_term_pnl,
        totals.realised_pnl,
    )


JAN10_23, JUN1_23, MAR1_24, APR2_24 = date(2023, 1, 10), date(2023, 6, 1), date(2024, 3, 1), date(2024, 4, 2)

# Two buys with commissions, a sale that spans both, then a sale of the rest (a closed-out symbol).
#   buy 10 @ 100 + 5:   cost 1005 (5 commission)
#   buy 10 @ 120 + 5:   cost 1205 (5 commission)
#   sell 15 @ 130 - 6:  proceeds 1944 (6 commission)
#   sell 5 @ 140 - 1:   proceeds 699 (1 commission)
ROUND_TRIP = [
    buy(JAN10_23, "XYZ", "10", "100", "5"),
    buy(JUN1_23, "XYZ", "10", "120", "5"),
    sell(MAR1_24, "XYZ", "15", "130", "6"),
    sell(APR2_24, "XYZ", "5", "140", "1"),
]


def test_fifo_reports_each_purchase_closed_with_its_commissions_and_term() -> None:
    book = replay(ROUND_TRIP, FIFO)
    report = realised_report(book)

    # First sale: 10/15 of 1944 = 1296 to the January lot (commission 5 + 10/15 x 6 = 9; held
    # 416 days, past its anniversary 2024-01-10: long-term), 5/15 = 648 to half the June lot
    # (cost 602.5, commission 2.5 + 2 = 4.5; 274 days: short-term).
    # Second sale: the June lot's other half, cost 602.5, proceeds 699, commission 2.5 + 1 = 3.5,
    # 306 days (anniversary 2024-06-01 not reached): short-term.
    assert rows(report) == [
        ("XYZ", D(10), JAN10_23, MAR1_24, D(1005), D(1296), D(9), D(291), 416, True),
        ("XYZ", D(5), JUN1_23, MAR1_24, D("602.5"), D(648), D("4.5"), D("45.5"), 274, False),
        ("XYZ", D(5), JUN1_23, APR2_24, D("602.5"), D(699), D("3.5"), D("96.5"), 306, False),
    ]
    # Short-term 45.5 + 96.5 = 142, long-term 291; 433 in all = (1944 + 699) - (1005 + 1205).
    assert figures(report.totals) == (3, D(2210), D(2643), D(17), D(142), D(291), D(433))
    # The position is closed out, and still reported per symbol.
    assert "XYZ" not in book.positions
    [xyz] = report.by_symbol
    assert (xyz.symbol, xyz.held, figures(xyz.totals)) == ("XYZ", False, figures(report.totals))
    assert report.totals.realised_pnl == book.realised_pnl
    # Every commission of the ledger is in exactly one closed lot.
    assert report.totals.commission == book.commissions == D(17)


def test_average_cost_reports_each_sale_at_the_pooled_cost_from_the_pool_opening() -> None:
    book = replay(ROUND_TRIP, AVERAGE)
    report = realised_report(book)

    # The pool: 20 shares costing 2210 (10 of it commission), opened 2023-01-10.
    # First sale takes 15/20: cost 1657.5, commission 7.5 + 6 = 13.5, realised 1944 - 1657.5.
    # Second sale takes the rest: cost 552.5, commission 2.5 + 1 = 3.5, realised 699 - 552.5.
    # Both are measured from the pool's opening, so both are long-term.
    assert rows(report) == [
        ("XYZ", D(15), JAN10_23, MAR1_24, D("1657.5"), D(1944), D("13.5"), D("286.5"), 416, True),
        ("XYZ", D(5), JAN10_23, APR2_24, D("552.5"), D(699), D("3.5"), D("146.5"), 448, True),
    ]
    # A round trip realises the same under either method: 433.
    assert figures(report.totals) == (2, D(2210), D(2643), D(17), D(0), D(433), D(433))


def test_a_split_between_buys_and_a_sale_spanning_two_lots() -> None:
    ledger = [
        buy(date(2024, 1, 2), "ABC", "10", "400"),  # cost 4000
        buy(date(2024, 2, 1), "ABC", "5", "480"),  # cost 2400
        entry(K.SPLIT, date(2024, 3, 1), "ABC", ratio="4"),  # 40 shares costing 4000, 20 costing 2400
        sell(date(2024, 4, 1), "ABC", "50", "130"),  # proceeds 6500
    ]
    fifo = realised_report(replay(ledger, FIFO))
    # All 40 of the first lot (proceeds 40 x 130 = 5200), 10 of the second (half its cost, 1200;
    # proceeds 1300). One sale, two lots: the same closing trade, in FIFO order.
    assert rows(fifo) == [
        ("ABC", D(40), date(2024, 1, 2), date(2024, 4, 1), D(4000), D(5200), D(0), D(1200), 90, False),
        ("ABC", D(10), date(2024, 2, 1), date(2024, 4, 1), D(1200), D(1300), D(0), D(100), 60, False),
    ]
    closing = ledger[-1]
    assert [r.position for r in fifo.lots] == [
        (closing.trade_date, closing.sequence, part) for part in (0, 1)
    ]
    assert [r.lot.transaction_id for r in fifo.lots] == [closing.id, closing.id]
    assert fifo.by_symbol[0].held is True

    average = realised_report(replay(ledger, AVERAGE))
    # The pool of 60 shares costing 6400: 50/60 of it is 5333.333... -> 5333.3333333333.
    assert rows(average) == [
        (
            "ABC",
            D(50),
            date(2024, 1, 2),
            date(2024, 4, 1),
            D("5333.3333333333"),
            D(6500),
            D(0),
            D("1166.6666666667"),
            90,
            False,
        )
    ]


def test_an_option_contract_carries_the_hundred_share_multiplier() -> None:
    book = replay(
        [
            buy(date(2025, 1, 6), OPTION, "2", "3.50", "1.30"),  # 2 x 3.50 x 100 + 1.30 = 701.30
            sell(date(2025, 2, 3), OPTION, "1", "5.00", "0.65"),  # 1 x 5.00 x 100 - 0.65 = 499.35
        ],
        FIFO,
    )
    report = realised_report(book)
    # Half the lot: cost 350.65 (0.65 of it commission), commissions 0.65 + 0.65, 28 days.
    assert rows(report) == [
        (
            OPTION,
            D(1),
            date(2025, 1, 6),
            date(2025, 2, 3),
            D("350.65"),
            D("499.35"),
            D("1.30"),
            D("148.70"),
            28,
            False,
        )
    ]
    assert report.lots[0].multiplier == 100
    [option] = report.by_symbol
    assert (option.held, option.totals.realised_pnl) == (True, book.positions[OPTION].realised_pnl)


def test_a_covered_short_reports_the_short_sale_as_proceeds() -> None:
    report = realised_report(
        replay(
            [sell(date(2024, 1, 2), "SHT", "10", "50", "1"), buy(date(2024, 2, 1), "SHT", "10", "40", "1")],
            SHORTS,
        )
    )
    # Short sale 500 - 1 = 499 in; cover 400 + 1 = 401 out; 98 realised.
    assert rows(report) == [
        ("SHT", D(-10), date(2024, 1, 2), date(2024, 2, 1), D(401), D(499), D(2), D(98), 30, False)
    ]


def test_a_short_covered_after_a_year_is_still_short_term() -> None:
    report = realised_report(
        replay(
            [sell(date(2023, 1, 3), "SHT", "10", "50"), buy(date(2024, 2, 1), "SHT", "10", "40")],
            SHORTS,
        )
    )
    (lot,) = report.lots
    assert (lot.holding_days, lot.long_term) == (394, False)
    assert (report.totals.short_term_pnl, report.totals.long_term_pnl) == (D(100), D(0))


def test_filters_by_closing_date_and_symbol_and_totals_cover_only_what_matches() -> None:
    ledger = [
        *ROUND_TRIP,
        buy(date(2024, 1, 5), "KO", "10", "60"),
        sell(date(2024, 3, 1), "KO", "4", "65"),  # 20 realised
        sell(date(2025, 1, 6), "KO", "6", "50"),  # -60 realised, held 367 days: long-term
    ]
    book = replay(ledger, FIFO)

    march = realised_report(book, first_day=date(2024, 3, 1), last_day=date(2024, 3, 31))
    assert [(r.lot.symbol, r.lot.realised_pnl) for r in march.lots] == [
        ("XYZ", D(291)),
        ("XYZ", D("45.5")),
        ("KO", D(20)),
    ]
    assert [(s.symbol, s.held, s.totals.realised_pnl) for s in march.by_symbol] == [
        ("KO", False, D(20)),
        ("XYZ", False, D("336.5")),
    ]
    assert march.totals.realised_pnl == D("356.5")

    ko = realised_report(book, symbol="KO")
    assert figures(ko.totals) == (2, D(600), D(560), D(0), D(20), D(-60), D(-40))
    assert realised_report(book, first_day=date(2025, 1, 7)).lots == ()
    assert realised_report(book, first_day=date(2025, 1, 7)).totals.realised_pnl == 0
    assert realised_report(book, symbol="NOPE").by_symbol == ()
    # Unfiltered, the total is the book's: the figure valuations report.
    assert realised_report(book).totals.realised_pnl == book.realised_pnl == D(393)


def test_the_empty_book_has_an_empty_report() -> None:
    report = realised_report(Book(D(0), {}, (), D(0), D(0), D(0), D(0), ()))
    assert (report.lots, report.by_symbol, figures(report.totals)) == ((), (), (0, 0, 0, 0, 0, 0, 0))


@pytest.mark.parametrize(
    ("opened", "closed", "long_term"),
    [
        (date(2023, 3, 15), date(2024, 3, 15), False),  # exactly a year: not more than one
        (date(2023, 3, 15), date(2024, 3, 16), True),
        (date(2024, 2, 29), date(2025, 2, 28), False),
        (date(2024, 2, 29), date(2025, 3, 1), True),
        (date(2023, 3, 1), date(2024, 2, 29), False),
        (date(2024, 1, 1), date(2024, 1, 1), False),
    ],
)
def test_long_term_means_closed_after_the_first_anniversary(
    opened: date, closed: date, long_term: bool
) -> None:
    assert is_long_term(opened, closed) is long_term


def test_the_anniversary_of_a_leap_day_is_the_last_day_of_february() -> None:
    assert first_anniversary(date(2024, 2, 29)) == date(2025, 2, 28)
    assert first_anniversary(date(2024, 12, 31)) == date(2025, 12, 31)
