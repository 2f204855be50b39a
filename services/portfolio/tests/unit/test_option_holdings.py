"""Option contracts in the ledger: symbols, the rules of entry, lots and valuation with Greeks.

Figures are worked by hand: 2 contracts at a premium of 4.35 with a 1.30 commission cost
2 x 100 x 4.35 + 1.30 = 871.30.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from eqr_portfolio.domain.book import replay
from eqr_portfolio.domain.drafts import TransactionDraft, normalise_symbol, validate_draft
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.option_contracts import OptionKind, contract_size, option_contract
from eqr_portfolio.domain.transactions import LedgerPolicy, Transaction, TransactionKind
from eqr_portfolio.domain.valuation import Instrument, PositionGreeks, Quote, value_book

CALL = "AAPL261218C00190000"
K = TransactionKind
TODAY = date(2026, 11, 27)


def entry(n: int, kind: TransactionKind, symbol: str | None, **fields: str) -> Transaction:
    return Transaction(
        UUID(int=n), kind, date(2026, 11, 2), n, symbol, **{k: Decimal(v) for k, v in fields.items()}
    )


def violations(draft: TransactionDraft) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate_draft(draft, today=TODAY)
    return [(v.field, v.message) for v in caught.value.violations]


def test_an_occ_symbol_names_its_contract_padded_or_compact() -> None:
    contract = option_contract(CALL)
    assert contract is not None
    assert (contract.underlying, contract.expiry, contract.strike, contract.kind) == (
        "AAPL",
        date(2026, 12, 18),
        Decimal(190),
        OptionKind.CALL,
    )
    assert contract.symbol == CALL
    assert option_contract("AAPL  261218C00190000") == contract
    assert option_contract("SPX261218P04512500") is not None
    assert option_contract("SPX261218P04512500").strike == Decimal("4512.5")  # type: ignore[union-attr]
    assert option_contract("AAPL") is None
    assert option_contract("AAPL261318C00190000") is None  # month 13
    assert [contract_size(CALL), contract_size("AAPL"), contract_size(None)] == [100, 1, 1]
    assert [contract.intrinsic_value(Decimal(200)), contract.intrinsic_value(Decimal(180))] == [10, 0]
    assert contract.describe() == "AAPL 2026-12-18 190 call"


def test_a_padded_symbol_is_stored_compact() -> None:
    draft = TransactionDraft(
        K.BUY, TODAY, "aapl  261218c00190000", quantity=Decimal(1), price=Decimal("4.35")
    )
    assert validate_draft(draft, today=TODAY).symbol == CALL
    assert normalise_symbol(" AAPL  261218C00190000 ") == CALL


def test_entries_an_option_cannot_take_are_refused_naming_the_field() -> None:
    assert violations(TransactionDraft(K.DIVIDEND, TODAY, CALL, amount=Decimal(5))) == [
        ("symbol", "is an option contract: a dividend applies to its underlying")
    ]
    assert violations(TransactionDraft(K.SPLIT, TODAY, CALL, ratio=Decimal(2)))[0][0] == "symbol"
    expired = TransactionDraft(
        K.BUY, date(2026, 11, 27), "AAPL261120C00190000", quantity=Decimal(1), price=Decimal(1)
    )
    assert violations(expired) == [("trade_date", "is after the contract's expiry on 2026-11-20")]
    impossible = TransactionDraft(K.BUY, TODAY, "AAPL261318C00190000", quantity=Decimal(1), price=Decimal(1))
    assert violations(impossible)[0][0] == "symbol"


def test_a_contract_trades_per_share_times_one_hundred() -> None:
    ledger = [
        entry(1, K.DEPOSIT, None, amount="1000"),
        entry(2, K.BUY, CALL, quantity="2", price="4.35", commission="1.30"),
        entry(3, K.SELL, CALL, quantity="1", price="6.00", commission="0.65"),
    ]
    book = replay(ledger, LedgerPolicy())
    position = book.positions[CALL]
    assert book.cash == Decimal("1000") - Decimal("871.30") + Decimal("599.35")
    assert position.quantity == 1
    assert position.cost_basis == Decimal("435.65")
    assert position.average_cost == Decimal("4.3565")
    assert book.realised_pnl == Decimal("599.35") - Decimal("435.65")


def test_an_option_is_valued_at_its_premium_with_the_greeks_given_and_shares_at_their_dollar_delta() -> None:
    ledger = [
        entry(1, K.BUY, "AAPL", quantity="100", price="180"),
        entry(2, K.SELL, CALL, quantity="1", price="4.35"),
    ]
    book = replay(ledger, LedgerPolicy(allow_short=True))
    call_greeks = PositionGreeks(
        dollar_delta=-7_000.0, dollar_gamma=-45.0, vega_per_point=-30.0, theta_per_day=9.5
    )
    quotes = {
        "AAPL": Quote(Decimal(185), Decimal(183)),
        CALL: Quote(Decimal("5.10"), Decimal("4.60"), "chain_mid"),
    }
    facts = {CALL: Instrument("AAPL 2026-12-18 190 call", "Information Technology", "Hardware")}
    valuation = value_book(book, quotes, facts, today=TODAY, option_greeks={CALL: call_greeks})
    shares, call = valuation.holdings[0], valuation.holdings[1]
    assert call.symbol == CALL
    assert call.contract is not None
    assert call.market_value == Decimal("-510.00")  # -1 x 100 x 5.10
    assert call.unrealised_pnl == Decimal("-75.00")  # received 435, worth -510
    assert call.day_change == Decimal("-50.00")  # -1 x 100 x (5.10 - 4.60)
    assert call.greeks == call_greeks
    assert shares.greeks == PositionGreeks(dollar_delta=18_500.0)
    assert valuation.totals.greeks == PositionGreeks(11_500.0, -45.0, -30.0, 9.5)
    assert valuation.totals.market_value == Decimal(18_500) - Decimal(510) + book.cash


def test_an_unpriced_option_has_no_greeks_and_is_held_at_cost() -> None:
    book = replay([entry(1, K.BUY, CALL, quantity="3", price="2")], LedgerPolicy())
    valuation = value_book(book, {}, {}, today=TODAY)
    (call, _cash) = valuation.holdings
    assert call.market_value == Decimal(600)
    assert not call.priced
    assert call.greeks is None
    assert valuation.totals.greeks == PositionGreeks()


def test_a_call_is_written_against_shares_without_shorting_allowed() -> None:
    ledger = [
        entry(1, K.BUY, "AAPL", quantity="100", price="180"),
        entry(2, K.SELL, CALL, quantity="1", price="4.35"),
    ]
    book = replay(ledger, LedgerPolicy(allow_short=False))
    assert book.positions[CALL].quantity == -1
    assert book.positions[CALL].cost_basis == Decimal("-435.00")
