"""Valuing hand-built books at quotes; every expected figure is derived in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from eqr_portfolio.domain.book import Book, ClosedLot, Lot, Position
from eqr_portfolio.domain.valuation import (
    CASH,
    UNCLASSIFIED,
    HoldingValue,
    Instrument,
    Quote,
    Valuation,
    value_book,
)

D = Decimal
EARLIER, YESTERDAY, TODAY = date(2024, 3, 1), date(2024, 3, 4), date(2024, 3, 5)


def position(symbol: str, *lots: tuple[date, str, str], dividends: str = "0") -> Position:
    return Position(symbol, tuple(Lot(day, D(q), D(c)) for day, q, c in lots), D(0), D(dividends), D(0))


def book(cash: str, *positions: Position, closed: tuple[ClosedLot, ...] = (), dividends: str = "0") -> Book:
    return Book(
        cash=D(cash),
        positions={p.symbol: p for p in positions},
        closed_lots=closed,
        dividends=D(dividends),
        interest=D(0),
        fees=D(0),
        commissions=D(0),
        external_flows=(),
    )


def holding(valuation: Valuation, symbol: str | None) -> HoldingValue:
    return next(h for h in valuation.holdings if h.symbol == symbol)


# AAPL: 10 bought earlier for 1000 and 5 bought today for 550.  MSFT: 20 for 1000, 30 of dividends.
# NEWCO: 10 for 100 and no quote.  XOM: bought for 200, sold yesterday for 250 (realised 50).
# Cash 7430.
MIXED = book(
    "7430",
    position("AAPL", (EARLIER, "10", "1000"), (TODAY, "5", "550")),
    position("MSFT", (EARLIER, "20", "1000"), dividends="30"),
    position("NEWCO", (EARLIER, "10", "100")),
    closed=(ClosedLot("XOM", EARLIER, YESTERDAY, D(10), D(200), D(250)),),
    dividends="30",
)
QUOTES = {"AAPL": Quote(D(112), D(105)), "MSFT": Quote(D(48), D(50))}
INSTRUMENTS = {
    "AAPL": Instrument("Apple Inc.", "Technology", "Consumer Electronics"),
    "MSFT": Instrument("Microsoft Corporation", "Technology", "Software"),
}


def test_holdings_carry_value_cost_pnl_and_day_change() -> None:
    valuation = value_book(MIXED, QUOTES, INSTRUMENTS, today=TODAY)

    assert [h.symbol for h in valuation.holdings] == ["AAPL", "MSFT", "NEWCO", None]
    aapl = holding(valuation, "AAPL")
    # 15 x 112 = 1680 against a cost of 1550: +130.
    # Day: the 10 older shares moved 10 x (112 - 105) = 70; the 5 bought today 5 x 112 - 550 = 10.
    # They were worth 10 x 105 + 550 = 1600 at the start of the day: 80 / 1600 = 5 %.
    assert (aapl.name, aapl.sector, aapl.industry) == ("Apple Inc.", "Technology", "Consumer Electronics")
    assert (aapl.quantity, aapl.price, aapl.priced) == (D(15), D(112), True)
    assert (aapl.market_value, aapl.cost_basis, aapl.unrealised_pnl) == (D(1680), D(1550), D(130))
    assert aapl.unrealised_fraction == D(130) / D(1550)
    assert (aapl.day_change, aapl.day_change_fraction) == (D(80), D("0.05"))
    msft = holding(valuation, "MSFT")
    # 20 x 48 = 960 against 1000: -40, -4 %; the day: 20 x (48 - 50) = -40 on 1000, -4 %.
    assert (msft.market_value, msft.unrealised_pnl, msft.unrealised_fraction) == (D(960), D(-40), D("-0.04"))
    assert (msft.day_change, msft.day_change_fraction) == (D(-40), D("-0.04"))


def test_a_holding_without_a_quote_is_valued_at_cost_and_flagged() -> None:
    valuation = value_book(MIXED, QUOTES, INSTRUMENTS, today=TODAY)

    newco = holding(valuation, "NEWCO")
    assert (newco.priced, newco.price, newco.market_value, newco.unrealised_pnl) == (
        False,
        None,
        D(100),
        D(0),
    )
    assert (newco.day_change, newco.name, newco.sector, newco.industry) == (
        D(0),
        "NEWCO",
        UNCLASSIFIED,
        UNCLASSIFIED,
    )
    assert valuation.unpriced == ("NEWCO",)


def test_cash_is_a_holding_valued_at_face() -> None:
    cash = holding(value_book(MIXED, QUOTES, INSTRUMENTS, today=TODAY), None)
    assert cash.is_cash
    assert (cash.name, cash.sector, cash.industry) == (CASH, CASH, CASH)
    assert (cash.quantity, cash.price, cash.market_value, cash.cost_basis) == (
        D(7430),
        D(1),
        D(7430),
        D(7430),
    )
    assert (cash.unrealised_pnl, cash.day_change) == (D(0), D(0))


def test_totals_add_up_the_holdings_and_the_book() -> None:
    totals = value_book(MIXED, QUOTES, INSTRUMENTS, today=TODAY).totals
    # 1680 + 960 + 100 + 7430 = 10170; invested 1550 + 1000 + 100 = 2650; unrealised 130 - 40 = 90.
    # Day: 80 - 40 = 40 on a start of 1600 + 1000 + 100 + 7430 = 10130.
    assert (totals.market_value, totals.invested_cost, totals.unrealised_pnl) == (D(10170), D(2650), D(90))
    assert (totals.realised_pnl, totals.income) == (D(50), D(30))
    assert (totals.day_change, totals.day_change_fraction) == (D(40), D(40) / D(10130))


def test_weights_are_shares_of_the_total_including_cash() -> None:
    valuation = value_book(MIXED, QUOTES, INSTRUMENTS, today=TODAY)
    weights = [h.weight for h in valuation.holdings]
    assert weights == [D(1680) / D(10170), D(960) / D(10170), D(100) / D(10170), D(7430) / D(10170)]
    assert abs(sum((w for w in weights if w is not None), D(0)) - 1) < D("1e-26")


def test_allocation_by_sector_and_industry_with_cash_as_its_own_bucket() -> None:
    valuation = value_book(MIXED, QUOTES, INSTRUMENTS, today=TODAY)

    # Technology: 1680 + 960 = 2640. Largest first.
    assert [(s.bucket, s.market_value) for s in valuation.by_sector] == [
        (CASH, D(7430)),
        ("Technology", D(2640)),
        (UNCLASSIFIED, D(100)),
    ]
    assert [(s.bucket, s.market_value) for s in valuation.by_industry] == [
        (CASH, D(7430)),
        ("Consumer Electronics", D(1680)),
        ("Software", D(960)),
        (UNCLASSIFIED, D(100)),
    ]
    for allocation in (valuation.by_sector, valuation.by_industry):
        assert abs(sum((s.weight for s in allocation if s.weight is not None), D(0)) - 1) < D("1e-26")
    assert valuation.by_sector[1].weight == D(2640) / D(10170)


def test_a_position_opened_today_counts_its_day_change_from_its_cost() -> None:
    opened_today = book("0", position("XYZ", (TODAY, "10", "1005")))
    xyz = value_book(opened_today, {"XYZ": Quote(D(102), D(90))}, {}, today=TODAY).holdings[0]
    # 10 x 102 - 1005 = 15 (not 10 x (102 - 90) = 120: the shares were not held at yesterday's close).
    assert (xyz.day_change, xyz.day_change_fraction) == (D(15), D(15) / D(1005))


def test_a_short_that_gains_reads_positive_and_weighs_negative() -> None:
    short = book("100", position("XYZ", (EARLIER, "-10", "-100")))
    valuation = value_book(short, {"XYZ": Quote(D(5), D(10))}, {}, today=TODAY)
    xyz = valuation.holdings[0]
    # -10 x 5 = -50 against a cost of -100 (the short sale's proceeds): +50, or 50 / 100 = +50 %.
    # Day: -10 x (5 - 10) = +50 on |-10 x 10| = 100: +50 %. Total 100 - 50 = 50: weights -1 and 2.
    assert (xyz.market_value, xyz.unrealised_pnl, xyz.unrealised_fraction) == (D(-50), D(50), D("0.5"))
    assert (xyz.day_change, xyz.day_change_fraction) == (D(50), D("0.5"))
    assert [h.weight for h in valuation.holdings] == [D(-1), D(2)]


def test_no_weights_when_the_total_is_not_positive() -> None:
    # Cash 100 and a short now worth -10 x 30 = -300: a total of -200.
    underwater = value_book(
        book("100", position("XYZ", (EARLIER, "-10", "-100"))), {"XYZ": Quote(D(30), D(25))}, {}, today=TODAY
    )
    assert underwater.totals.market_value == D(-200)
    assert [h.weight for h in underwater.holdings] == [None, None]
    assert [s.weight for s in underwater.by_sector] == [None, None]

    empty = value_book(book("0"), {}, {}, today=TODAY)
    assert [(h.symbol, h.market_value, h.weight) for h in empty.holdings] == [(None, D(0), None)]
    assert (empty.totals.market_value, empty.totals.day_change_fraction) == (D(0), None)
    assert [(s.bucket, s.weight) for s in empty.by_industry] == [(CASH, None)]


def test_fractions_over_a_zero_base_are_none() -> None:
    gift = book("0", position("XYZ", (EARLIER, "10", "0")))
    xyz = value_book(gift, {"XYZ": Quote(D(3), D(0))}, {}, today=TODAY).holdings[0]
    assert (xyz.unrealised_pnl, xyz.unrealised_fraction) == (D(30), None)
    assert (xyz.day_change, xyz.day_change_fraction) == (D(30), None)


def test_an_instrument_without_a_classification_is_unclassified_under_its_name() -> None:
    valuation = value_book(
        book("0", position("XYZ", (EARLIER, "1", "1"))),
        {},
        {"XYZ": Instrument("Xyz Corp", "", "")},
        today=TODAY,
    )
    xyz = valuation.holdings[0]
    assert (xyz.name, xyz.sector, xyz.industry) == ("Xyz Corp", UNCLASSIFIED, UNCLASSIFIED)
