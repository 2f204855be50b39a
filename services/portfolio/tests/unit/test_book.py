"""Ledger replay on hand-worked ledgers; every expected figure is derived in the comments."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from eqr_portfolio.domain.book import Book, ClosedLot, ExternalFlow, replay, replay_daily
from eqr_portfolio.domain.errors import LedgerRejected
from eqr_portfolio.domain.transactions import CashMode, CostMethod, LedgerPolicy, Transaction, TransactionKind

D = Decimal

FIFO = LedgerPolicy(cost_method=CostMethod.FIFO)
AVERAGE = LedgerPolicy(cost_method=CostMethod.AVERAGE)
STRICT = LedgerPolicy(cash_mode=CashMode.STRICT)
SHORTS = LedgerPolicy(allow_short=True)

_recorded = itertools.count(1)


def entry(
    kind: TransactionKind,
    day: date,
    *,
    symbol: str | None = None,
    quantity: str = "0",
    price: str = "0",
    amount: str = "0",
    ratio: str = "0",
    commission: str = "0",
) -> Transaction:
    """A ledger entry; ids and sequences follow the order the test records them in."""
    n = next(_recorded)
    return Transaction(
        UUID(int=n), kind, day, n, symbol, D(quantity), D(price), D(amount), D(ratio), D(commission)
    )


def buy(day: date, symbol: str, quantity: str, price: str, commission: str = "0") -> Transaction:
    return entry(
        TransactionKind.BUY, day, symbol=symbol, quantity=quantity, price=price, commission=commission
    )


def sell(day: date, symbol: str, quantity: str, price: str, commission: str = "0") -> Transaction:
    return entry(
        TransactionKind.SELL, day, symbol=symbol, quantity=quantity, price=price, commission=commission
    )


def deposit(day: date, amount: str) -> Transaction:
    return entry(TransactionKind.DEPOSIT, day, amount=amount)


def withdrawal(day: date, amount: str) -> Transaction:
    return entry(TransactionKind.WITHDRAWAL, day, amount=amount)


def dividend(day: date, symbol: str, amount: str) -> Transaction:
    return entry(TransactionKind.DIVIDEND, day, symbol=symbol, amount=amount)


def split(day: date, symbol: str, ratio: str) -> Transaction:
    return entry(TransactionKind.SPLIT, day, symbol=symbol, ratio=ratio)


def fee(day: date, amount: str, symbol: str | None = None) -> Transaction:
    return entry(TransactionKind.FEE, day, symbol=symbol, amount=amount)


def interest(day: date, amount: str) -> Transaction:
    return entry(TransactionKind.INTEREST, day, amount=amount)


def lots(book: Book, symbol: str) -> list[tuple[date, D, D]]:
    return [(lot.opened_on, lot.quantity, lot.cost) for lot in book.positions[symbol].lots]


def realised(book: Book) -> list[tuple[D, D, D, D]]:
    return [(c.quantity, c.cost, c.proceeds, c.realised_pnl) for c in book.closed_lots]


JAN2, JAN3, FEB1, MAR1, APR1 = (
    date(2024, 1, 2),
    date(2024, 1, 3),
    date(2024, 2, 1),
    date(2024, 3, 1),
    date(2024, 4, 1),
)

# Two buys with commissions, then a sell of 15 that spans both lots.
#   buy 10 @ 100 + 5 commission: cost 1005             cash 10000 - 1005 = 8995
#   buy 10 @ 120 + 5 commission: cost 1205             cash 8995 - 1205 = 7790
#   sell 15 @ 130 - 6 commission: proceeds 1944        cash 7790 + 1944 = 9734
TWO_BUYS_AND_A_SELL = [
    deposit(JAN2, "10000"),
    buy(JAN3, "AAPL", "10", "100", "5"),
    buy(FEB1, "AAPL", "10", "120", "5"),
    sell(MAR1, "AAPL", "15", "130", "6"),
]


def test_fifo_closes_the_oldest_lot_first_and_splits_the_next() -> None:
    book = replay(TWO_BUYS_AND_A_SELL, FIFO)

    # The sale's 1944 proceeds go 10/15 = 1296 to the first lot and 5/15 = 648 to the second.
    # First lot: cost 1005, realised 1296 - 1005 = 291.
    # Second lot: half of 1205 = 602.5 sold, realised 648 - 602.5 = 45.5; 5 shares costing 602.5 remain.
    assert realised(book) == [(D(10), D(1005), D(1296), D(291)), (D(5), D("602.5"), D(648), D("45.5"))]
    assert [(c.opened_on, c.closed_on) for c in book.closed_lots] == [(JAN3, MAR1), (FEB1, MAR1)]
    assert lots(book, "AAPL") == [(FEB1, D(5), D("602.5"))]
    position = book.positions["AAPL"]
    assert (position.quantity, position.cost_basis, position.average_cost) == (D(5), D("602.5"), D("120.5"))
    assert position.realised_pnl == book.realised_pnl == D("336.5")
    assert book.cash == D(9734)
    assert book.commissions == D(16)


def test_average_cost_pools_the_lots_and_sells_at_the_pooled_cost() -> None:
    book = replay(TWO_BUYS_AND_A_SELL, AVERAGE)

    # Pool: 20 shares costing 1005 + 1205 = 2210 (110.5 each), opened on the first buy.
    # The sale takes 15/20 of the pool: 1657.5, so realised 1944 - 1657.5 = 286.5,
    # leaving 5 shares costing 552.5 in the pool.
    assert realised(book) == [(D(15), D("1657.5"), D(1944), D("286.5"))]
    assert [(c.opened_on, c.closed_on) for c in book.closed_lots] == [(JAN3, MAR1)]
    assert lots(book, "AAPL") == [(JAN3, D(5), D("552.5"))]
    assert book.positions["AAPL"].average_cost == D("110.5")
    assert book.cash == D(9734)


def test_fifo_and_average_cost_agree_on_total_pnl() -> None:
    # At 140: FIFO 336.5 realised + (5 x 140 - 602.5 = 97.5) unrealised = 434;
    #         average 286.5 realised + (700 - 552.5 = 147.5) unrealised = 434.
    for policy in (FIFO, AVERAGE):
        book = replay(TWO_BUYS_AND_A_SELL, policy)
        unrealised = sum(p.quantity * D(140) - p.cost_basis for p in book.positions.values())
        assert book.realised_pnl + unrealised == D(434)


def test_partial_sells_share_a_cost_that_does_not_divide_evenly_without_losing_any_of_it() -> None:
    book = replay(
        [
            buy(JAN3, "XYZ", "3", "10", "1"),
            sell(FEB1, "XYZ", "1", "12"),
            sell(MAR1, "XYZ", "1", "12"),
            sell(APR1, "XYZ", "1", "12"),
        ],
        FIFO,
    )

    # The lot costs 31. First sale: 31/3 = 10.333...  -> 10.3333333333, leaving 20.6666666667.
    # Second: 20.6666666667/2 = 10.33333333335 -> half-even 10.3333333334, leaving 10.3333333333.
    # Third: the whole remainder, 10.3333333333. The three shares add up to 31 exactly,
    # so the realised total is 3 x 12 - 31 = 5 exactly.
    assert [c.cost for c in book.closed_lots] == [D("10.3333333333"), D("10.3333333334"), D("10.3333333333")]
    assert book.realised_pnl == D(5)
    assert book.positions == {}


def test_a_four_for_one_split_mid_way_multiplies_quantities_and_keeps_costs() -> None:
    ledger = [
        buy(JAN3, "XYZ", "10", "400"),  # cost 4000
        buy(FEB1, "XYZ", "5", "480"),  # cost 2400
        split(MAR1, "XYZ", "4"),  # 40 shares at 100, 20 shares at 120
        sell(APR1, "XYZ", "50", "130"),  # proceeds 6500
    ]
    assert lots(replay(ledger, FIFO, through=MAR1), "XYZ") == [(JAN3, D(40), D(4000)), (FEB1, D(20), D(2400))]

    fifo = replay(ledger, FIFO)
    # FIFO: all 40 of the first lot (proceeds 5200, realised 1200) and 10 of the second
    # (cost 1200, proceeds 1300, realised 100); 10 shares costing 1200 remain.
    assert realised(fifo) == [(D(40), D(4000), D(5200), D(1200)), (D(10), D(1200), D(1300), D(100))]
    assert lots(fifo, "XYZ") == [(FEB1, D(10), D(1200))]

    average = replay(ledger, AVERAGE)
    # Average: a pool of 15 costing 6400 becomes 60 costing 6400; the sale takes 50/60 of it,
    # 5333.333... -> 5333.3333333333, realised 6500 - 5333.3333333333 = 1166.6666666667,
    # leaving 10 shares costing 1066.6666666667. At 130 both methods total 1400.
    assert realised(average) == [(D(50), D("5333.3333333333"), D(6500), D("1166.6666666667"))]
    assert lots(average, "XYZ") == [(JAN3, D(10), D("1066.6666666667"))]
    for book in (fifo, average):
        assert (
            book.realised_pnl + book.positions["XYZ"].quantity * D(130) - book.positions["XYZ"].cost_basis
            == 1400
        )


def test_a_split_of_a_symbol_not_held_changes_nothing() -> None:
    book = replay([deposit(JAN2, "100"), split(JAN3, "XYZ", "2")], FIFO)
    assert (book.cash, book.positions) == (D(100), {})


def test_dividends_and_interest_are_income_not_external_flows() -> None:
    book = replay(
        [
            deposit(JAN2, "1000"),
            buy(JAN3, "KO", "10", "60"),  # cash 400
            dividend(FEB1, "KO", "4.6"),  # cash 404.6
            sell(MAR1, "KO", "10", "62"),  # cash 1024.6, realised 20
            dividend(APR1, "KO", "4.6"),  # paid after the sale: cash 1029.2
            interest(APR1, "0.8"),  # cash 1030
        ],
        FIFO,
    )
    assert (book.dividends, book.interest, book.income) == (D("9.2"), D("0.8"), D(10))
    assert book.cash == D(1030)
    assert book.external_flows == (ExternalFlow(JAN2, D(1000), False, book.external_flows[0].transaction_id),)
    # 1030 = 1000 deposited + 20 realised + 10 income
    assert book.cash == book.net_external_flow + book.realised_pnl + book.income


def test_a_dividend_is_credited_to_the_open_position() -> None:
    book = replay([deposit(JAN2, "1000"), buy(JAN3, "KO", "10", "60"), dividend(FEB1, "KO", "4.6")], FIFO)
    assert book.positions["KO"].dividends == D("4.6")


def test_a_fee_on_a_position_is_charged_to_cash_and_leaves_the_cost_basis_alone() -> None:
    book = replay([deposit(JAN2, "1000"), buy(JAN3, "ADR", "10", "50", "1"), fee(FEB1, "2.5", "ADR")], FIFO)
    # cash 1000 - 501 - 2.5 = 496.5; the cost basis stays at the purchase's 501.
    assert book.cash == D("496.5")
    position = book.positions["ADR"]
    assert (position.cost_basis, position.fees) == (D(501), D("2.5"))
    assert (book.fees, book.commissions) == (D("2.5"), D(1))


def test_commissions_on_entries_other_than_trades_count_as_fees() -> None:
    wire = entry(TransactionKind.DEPOSIT, JAN2, amount="1000", commission="15")
    book = replay([wire], FIFO)
    # The investor sent 1000 (the external flow); the bank kept 15 (a fee).
    assert (book.cash, book.net_external_flow, book.fees, book.commissions) == (D(985), D(1000), D(15), D(0))


def test_selling_more_than_is_held_is_rejected_naming_the_quantity() -> None:
    too_many = sell(MAR1, "AAPL", "10", "150")
    with pytest.raises(LedgerRejected) as rejected:
        replay([deposit(JAN2, "1000"), buy(JAN3, "AAPL", "5", "100"), too_many], FIFO)
    assert rejected.value.field == "quantity"
    assert rejected.value.reason == "cannot sell 10 AAPL on 2024-03-01: only 5 held"
    assert rejected.value.transaction_id == too_many.id


def test_a_short_is_covered_oldest_first_and_a_buy_beyond_it_opens_a_long_lot() -> None:
    book = replay(
        [
            deposit(JAN2, "1000"),
            sell(JAN3, "XYZ", "10", "50", "2"),  # short 10: proceeds 498, lot cost -498; cash 1498
            buy(FEB1, "XYZ", "4", "40", "1"),  # covers 4 for 161; cash 1337
            buy(MAR1, "XYZ", "10", "45"),  # covers 6 for 270, opens 4 long for 180; cash 887
        ],
        SHORTS,
    )
    # First cover: 4/10 of the short's 498 = 199.2 received, 161 paid: realised 38.2.
    # Second: the remaining 6 brought in 298.8 and cost 6/10 of 450 = 270: realised 28.8.
    assert realised(book) == [(D(-4), D(161), D("199.2"), D("38.2")), (D(-6), D(270), D("298.8"), D("28.8"))]
    assert [c.opened_on for c in book.closed_lots] == [JAN3, JAN3]
    assert lots(book, "XYZ") == [(MAR1, D(4), D(180))]
    assert book.cash == D(887)
    # At 50: 887 + 4 x 50 = 1087 = 1000 deposited + 67 realised + (200 - 180) unrealised.
    assert book.cash + 4 * D(50) == book.net_external_flow + book.realised_pnl + (4 * D(50) - D(180))


@pytest.mark.parametrize("policy", [SHORTS, LedgerPolicy(cost_method=CostMethod.AVERAGE, allow_short=True)])
def test_a_sale_beyond_the_holding_closes_it_and_opens_a_short(policy: LedgerPolicy) -> None:
    book = replay(
        [deposit(JAN2, "100"), buy(JAN3, "XYZ", "5", "10"), sell(FEB1, "XYZ", "8", "20", "4")], policy
    )
    # Net proceeds 160 - 4 = 156: 5/8 = 97.5 close the long (cost 50, realised 47.5) and the
    # other 58.5 open a short of 3 whose cost is -58.5.
    assert realised(book) == [(D(5), D(50), D("97.5"), D("47.5"))]
    assert lots(book, "XYZ") == [(FEB1, D(-3), D("-58.5"))]
    assert book.positions["XYZ"].average_cost == D("19.5")


def test_tracking_cash_funds_a_buy_beyond_the_cash_with_an_implied_deposit_of_the_shortfall() -> None:
    first, purchase = deposit(JAN2, "1000"), buy(JAN3, "AAPL", "10", "120", "5")
    book = replay([first, purchase], FIFO)
    # The buy costs 1205 against 1000 of cash: an implied deposit of 205 on the day of the buy.
    assert book.external_flows == (
        ExternalFlow(JAN2, D(1000), False, first.id),
        ExternalFlow(JAN3, D(205), True, purchase.id),
    )
    assert book.cash == 0


def test_tracking_cash_funds_a_fee_beyond_the_cash_too() -> None:
    book = replay([deposit(JAN2, "10"), fee(JAN3, "25")], FIFO)
    assert [(f.amount, f.implied) for f in book.external_flows] == [(D(10), False), (D(15), True)]
    assert book.cash == 0


def test_strict_cash_rejects_a_buy_beyond_the_cash_with_the_amounts() -> None:
    purchase = buy(JAN3, "AAPL", "10", "120", "5")
    with pytest.raises(LedgerRejected) as rejected:
        replay([deposit(JAN2, "1000"), purchase], STRICT)
    assert rejected.value.field == "quantity"
    assert rejected.value.reason == "buying 10 AAPL on 2024-01-03 needs 1205 but only 1000 cash is available"
    assert rejected.value.transaction_id == purchase.id


def test_strict_cash_accepts_a_buy_of_exactly_the_cash() -> None:
    book = replay([deposit(JAN2, "1205"), buy(JAN3, "AAPL", "10", "120", "5")], STRICT)
    assert book.cash == 0


@pytest.mark.parametrize("policy", [FIFO, STRICT])
def test_a_withdrawal_beyond_the_cash_is_rejected_in_either_mode(policy: LedgerPolicy) -> None:
    too_much = withdrawal(JAN3, "1000.01")
    with pytest.raises(LedgerRejected) as rejected:
        replay([deposit(JAN2, "1000"), too_much], policy)
    assert rejected.value.field == "amount"
    assert (
        rejected.value.reason
        == "withdrawing 1000.01 on 2024-01-03 needs 1000.01 but only 1000 cash is available"
    )
    assert rejected.value.transaction_id == too_much.id


def test_a_withdrawal_is_a_negative_external_flow() -> None:
    book = replay([deposit(JAN2, "1000"), withdrawal(JAN3, "400")], STRICT)
    assert [f.amount for f in book.external_flows] == [D(1000), D(-400)]
    assert (book.cash, book.net_external_flow) == (D(600), D(600))


def test_through_replays_only_what_is_dated_on_or_before_it() -> None:
    assert replay(TWO_BUYS_AND_A_SELL, FIFO, through=date(2024, 1, 1)) == replay([], FIFO)
    on_the_second_buy = replay(TWO_BUYS_AND_A_SELL, FIFO, through=FEB1)
    assert lots(on_the_second_buy, "AAPL") == [(JAN3, D(10), D(1005)), (FEB1, D(10), D(1205))]
    assert (on_the_second_buy.cash, on_the_second_buy.closed_lots) == (D(7790), ())
    assert replay(TWO_BUYS_AND_A_SELL, FIFO, through=date(2030, 1, 1)) == replay(TWO_BUYS_AND_A_SELL, FIFO)


def test_entries_replay_in_ledger_order_whatever_order_they_arrive_in() -> None:
    assert replay(list(reversed(TWO_BUYS_AND_A_SELL)), FIFO) == replay(TWO_BUYS_AND_A_SELL, FIFO)


def test_on_one_day_the_recorded_sequence_decides() -> None:
    sale = sell(JAN3, "AAPL", "1", "100")  # recorded before the buy of the same day
    with pytest.raises(LedgerRejected, match="only 0 held"):
        replay([deposit(JAN2, "1000"), sale, buy(JAN3, "AAPL", "1", "100")], FIFO)


def test_the_empty_ledger_is_an_empty_book() -> None:
    book = replay([], FIFO)
    assert (book.cash, book.positions, book.closed_lots, book.external_flows) == (D(0), {}, (), ())
    assert (book.realised_pnl, book.income, book.fees, book.commissions) == (D(0), D(0), D(0), D(0))


def test_replay_daily_reports_each_day_end_and_the_flows_since_the_previous_day() -> None:
    saturday, monday, tuesday = date(2024, 3, 2), date(2024, 3, 4), date(2024, 3, 5)
    ledger = [
        deposit(date(2024, 2, 28), "500"),
        deposit(saturday, "1000"),
        buy(monday, "AAPL", "10", "120"),  # 1200 against 1500: no implied deposit; cash 300
        buy(tuesday, "AAPL", "5", "100"),  # 500 against 300: implied deposit 200; cash 0
    ]
    days = [tuesday, date(2024, 3, 1), monday]  # any order; answered ascending
    ends = replay_daily(ledger, FIFO, days)

    assert [e.day for e in ends] == [date(2024, 3, 1), monday, tuesday]
    # Mar 1: the Feb 28 deposit (everything on or before the first day).
    # Mar 4: Saturday's deposit falls between the two days, so Monday reports it.
    # Mar 5: the implied deposit.
    assert [(e.cash, e.external_flow) for e in ends] == [(D(500), D(500)), (D(300), D(1000)), (D(0), D(200))]
    assert [e.quantities for e in ends] == [{}, {"AAPL": D(10)}, {"AAPL": D(15)}]


def test_replay_daily_rejects_as_replay_does() -> None:
    too_many = sell(JAN3, "AAPL", "1", "100")
    with pytest.raises(LedgerRejected) as rejected:
        replay_daily([too_many], FIFO, [JAN3])
    assert rejected.value.transaction_id == too_many.id


def test_closed_lot_realised_pnl_is_proceeds_less_cost() -> None:
    closed = ClosedLot("XYZ", JAN2, JAN3, D(-2), cost=D(30), proceeds=D(25))
    assert closed.realised_pnl == D(-5)
