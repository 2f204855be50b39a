"""Properties of the ledger replay over generated ledgers, checked exactly (no tolerance)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_portfolio.domain.book import Book, replay, replay_daily
from eqr_portfolio.domain.errors import LedgerRejected
from eqr_portfolio.domain.realised import realised_report
from eqr_portfolio.domain.transactions import (
    CashMode,
    CostMethod,
    LedgerPolicy,
    Transaction,
    TransactionKind,
)
from eqr_portfolio.domain.valuation import Quote, value_book

OPTION = "AAA261218C00050000"
SHARES_PER_UNIT = {"AAA": 1, "BBB": 1, OPTION: 100}
"""An option contract delivers 100 shares: its quantity counts contracts, its price is per share."""
SYMBOLS = tuple(SHARES_PER_UNIT)
START = date(2024, 1, 1)
K = TransactionKind


def hundredths(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


QUANTITIES = st.one_of(st.integers(1, 100).map(Decimal), hundredths(1, 5_000))
PRICES = hundredths(1, 50_000)
AMOUNTS = hundredths(1, 500_000)
COMMISSIONS = st.one_of(st.just(Decimal(0)), hundredths(1, 999))
RATIOS = st.sampled_from([Decimal(2), Decimal(3), Decimal(4), Decimal("0.5"), Decimal("1.5")])
PRICE_MAPS = st.fixed_dictionaries({symbol: hundredths(0, 100_000) for symbol in SYMBOLS})
POLICIES = st.builds(LedgerPolicy, st.sampled_from(CostMethod), st.sampled_from(CashMode), st.booleans())


@st.composite
def ledgers(draw: st.DrawFn, kinds: Sequence[TransactionKind] = tuple(TransactionKind)) -> list[Transaction]:
    """Entries in ledger order (dates never fall, sequences rise), a few days apart, on two shares
    and an option contract."""
    day = START
    entries: list[Transaction] = []
    for n in range(1, draw(st.integers(0, 25)) + 1):
        day += timedelta(days=draw(st.integers(0, 3)))
        kind = draw(st.sampled_from(kinds))
        symbol = (
            draw(st.sampled_from(SYMBOLS)) if kind in {K.BUY, K.SELL, K.DIVIDEND, K.SPLIT, K.FEE} else None
        )
        trade = kind in {K.BUY, K.SELL}
        entries.append(
            Transaction(
                id=UUID(int=n),
                kind=kind,
                trade_date=day,
                sequence=n,
                symbol=symbol,
                quantity=draw(QUANTITIES) if trade else Decimal(0),
                price=draw(PRICES) if trade else Decimal(0),
                amount=Decimal(0) if trade or kind is K.SPLIT else draw(AMOUNTS),
                ratio=draw(RATIOS) if kind is K.SPLIT else Decimal(0),
                commission=Decimal(0) if kind is K.SPLIT else draw(COMMISSIONS),
            )
        )
    return entries


def accepted(entries: list[Transaction], policy: LedgerPolicy) -> list[Transaction]:
    """``entries`` without those the ledger refuses, dropped one at a time as replay meets them."""
    kept = list(entries)
    while True:
        try:
            replay(kept, policy)
        except LedgerRejected as rejected:
            kept = [entry for entry in kept if entry.id != rejected.transaction_id]
        else:
            return kept


def market_value(book: Book, prices: dict[str, Decimal]) -> Decimal:
    return book.cash + sum(
        (
            lot.quantity * SHARES_PER_UNIT[p.symbol] * prices[p.symbol]
            for p in book.positions.values()
            for lot in p.lots
        ),
        Decimal(0),
    )


def total_pnl(book: Book, prices: dict[str, Decimal]) -> Decimal:
    unrealised = sum(
        (
            p.quantity * SHARES_PER_UNIT[p.symbol] * prices[p.symbol] - p.cost_basis
            for p in book.positions.values()
        ),
        Decimal(0),
    )
    return book.realised_pnl + unrealised


def quantities(book: Book) -> dict[str, Decimal]:
    return {symbol: position.quantity for symbol, position in book.positions.items()}


@given(ledgers(), POLICIES, PRICE_MAPS)
def test_at_every_step_the_value_is_cash_plus_lots_at_price_and_decomposes_exactly(
    entries: list[Transaction], policy: LedgerPolicy, prices: dict[str, Decimal]
) -> None:
    entries = accepted(entries, policy)
    quotes = {symbol: Quote(price, price) for symbol, price in prices.items()}
    for step in range(len(entries) + 1):
        book = replay(entries[:step], policy)
        value = market_value(book, prices)

        assert value_book(book, quotes, {}, today=START).totals.market_value == value
        assert value == book.net_external_flow + total_pnl(book, prices) + book.income - book.fees
        assert book.cash >= 0
        for position in book.positions.values():
            closed_here = (c.realised_pnl for c in book.closed_lots if c.symbol == position.symbol)
            assert position.realised_pnl == sum(closed_here, Decimal(0))
            assert all((lot.quantity > 0) == (position.quantity > 0) for lot in position.lots)


@given(ledgers(), POLICIES, RATIOS)
def test_a_split_conserves_every_cost_basis_and_scales_every_quantity(
    entries: list[Transaction], policy: LedgerPolicy, ratio: Decimal
) -> None:
    entries = accepted(entries, policy)
    before = replay(entries, policy)
    split_day = (entries[-1].trade_date if entries else START) + timedelta(days=1)
    splits = [
        Transaction(UUID(int=1000 + n), K.SPLIT, split_day, 1000 + n, symbol, ratio=ratio)
        for n, symbol in enumerate(SYMBOLS)
    ]
    after = replay(entries + splits, policy)

    assert after.positions.keys() == before.positions.keys()
    for symbol, position in before.positions.items():
        split_position = after.positions[symbol]
        assert split_position.cost_basis == position.cost_basis
        assert [lot.cost for lot in split_position.lots] == [lot.cost for lot in position.lots]
        assert [lot.quantity for lot in split_position.lots] == [
            lot.quantity * ratio for lot in position.lots
        ]
    assert (after.cash, after.realised_pnl, after.closed_lots) == (
        before.cash,
        before.realised_pnl,
        before.closed_lots,
    )


@given(ledgers(), st.sampled_from(CashMode), st.booleans(), PRICE_MAPS)
def test_fifo_and_average_cost_give_the_same_total_pnl_at_any_price(
    entries: list[Transaction], cash_mode: CashMode, allow_short: bool, prices: dict[str, Decimal]
) -> None:
    fifo_policy = LedgerPolicy(CostMethod.FIFO, cash_mode, allow_short)
    entries = accepted(entries, fifo_policy)
    for step in range(len(entries) + 1):
        fifo = replay(entries[:step], fifo_policy)
        average = replay(entries[:step], LedgerPolicy(CostMethod.AVERAGE, cash_mode, allow_short))

        assert total_pnl(fifo, prices) == total_pnl(average, prices)
        assert (fifo.cash, fifo.external_flows) == (average.cash, average.external_flows)
        assert quantities(fifo) == quantities(average)
        assert all(len(position.lots) == 1 for position in average.positions.values())


@given(ledgers(kinds=(K.DEPOSIT, K.BUY, K.SELL, K.SELL, K.SPLIT)), st.sampled_from(CostMethod))
def test_without_shorting_a_sale_beyond_the_holding_is_refused_and_no_quantity_goes_negative(
    entries: list[Transaction], cost_method: CostMethod
) -> None:
    """Of shares: an option contract may always be written (sold short)."""
    entries = [e for e in entries if e.symbol != OPTION]
    policy = LedgerPolicy(cost_method, CashMode.TRACKING, allow_short=False)
    # An independent count of the shares held, to know which sale must be refused.
    held = dict.fromkeys(SYMBOLS, Decimal(0))
    offender: Transaction | None = None
    for entry in entries:
        if entry.symbol is None:
            continue
        if entry.kind is K.SELL and entry.quantity > held[entry.symbol]:
            offender = entry
            break
        held[entry.symbol] = {
            K.BUY: held[entry.symbol] + entry.quantity,
            K.SELL: held[entry.symbol] - entry.quantity,
            K.SPLIT: held[entry.symbol] * entry.ratio,
        }[entry.kind]

    if offender is not None:
        with pytest.raises(LedgerRejected) as rejected:
            replay(entries, policy)
        assert (rejected.value.transaction_id, rejected.value.field) == (offender.id, "quantity")
    else:
        book = replay(entries, policy)
        assert quantities(book) == {symbol: quantity for symbol, quantity in held.items() if quantity}
    usable = entries[: entries.index(offender)] if offender else entries
    for step in range(len(usable) + 1):
        for position in replay(usable[:step], policy).positions.values():
            assert all(lot.quantity > 0 for lot in position.lots)


@given(ledgers(), POLICIES, st.lists(st.integers(-3, 80), max_size=30))
def test_replay_daily_agrees_with_replay_through_each_day(
    entries: list[Transaction], policy: LedgerPolicy, offsets: list[int]
) -> None:
    entries = accepted(entries, policy)
    days = [START + timedelta(days=offset) for offset in offsets]
    ends = replay_daily(list(reversed(entries)), policy, days)

    assert [end.day for end in ends] == sorted(days)
    flows_before = Decimal(0)
    for end in ends:
        book = replay(entries, policy, through=end.day)
        assert (end.cash, end.quantities) == (book.cash, quantities(book))
        assert end.external_flow == book.net_external_flow - flows_before
        flows_before = book.net_external_flow


@given(ledgers(), POLICIES, st.integers(0, 80))
def test_the_realised_report_adds_up_to_the_book_and_its_filters_partition_it(
    entries: list[Transaction], policy: LedgerPolicy, offset: int
) -> None:
    entries = accepted(entries, policy)
    book = replay(entries, policy)
    report = realised_report(book)

    # The report's realised P&L is the book's (the valuation's), lot by lot and symbol by symbol.
    assert sum((r.lot.realised_pnl for r in report.lots), Decimal(0)) == book.realised_pnl
    assert report.totals.realised_pnl == book.realised_pnl
    assert sum((s.totals.realised_pnl for s in report.by_symbol), Decimal(0)) == book.realised_pnl
    assert report.totals.lots == len(book.closed_lots)
    # Every symbol ever closed is there, held or closed out; a held one agrees with its position.
    assert {s.symbol for s in report.by_symbol} == {c.symbol for c in book.closed_lots}
    for summary in report.by_symbol:
        assert summary.held == (summary.symbol in book.positions)
        if summary.held:
            assert summary.totals.realised_pnl == book.positions[summary.symbol].realised_pnl
    # Each trade's commission ends in exactly one place: the lots it closed or the lot it opened.
    open_commissions = sum((lot.commission for p in book.positions.values() for lot in p.lots), Decimal(0))
    assert report.totals.commission + open_commissions == book.commissions
    # Ledger order, each lot in one place.
    positions = [r.position for r in report.lots]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    # A closing-date split and the symbols partition the lots and the totals.
    mid = START + timedelta(days=offset)
    before = realised_report(book, last_day=mid)
    after = realised_report(book, first_day=mid + timedelta(days=1))
    assert before.lots + after.lots == report.lots
    assert before.totals.realised_pnl + after.totals.realised_pnl == book.realised_pnl
    by_symbol = [realised_report(book, symbol=symbol).totals.realised_pnl for symbol in SYMBOLS]
    assert sum(by_symbol, Decimal(0)) == book.realised_pnl
