"""The rules a proposed transaction must meet, with the user-facing message of each violation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_portfolio.domain.drafts import (
    TransactionDraft,
    normalise_symbol,
    parse_choice,
    parse_decimal,
    parse_iso_date,
    validate_draft,
)
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.transactions import CostMethod, TransactionKind

D = Decimal
K = TransactionKind
TODAY = date(2024, 6, 28)


def draft(kind: TransactionKind = K.BUY, **fields: Any) -> TransactionDraft:
    """A valid draft of ``kind`` with ``fields`` replaced."""
    valid: dict[TransactionKind, dict[str, Any]] = {
        K.BUY: {"symbol": "AAPL", "quantity": D(10), "price": D("185.20")},
        K.SELL: {"symbol": "AAPL", "quantity": D(10), "price": D("190")},
        K.DIVIDEND: {"symbol": "AAPL", "amount": D("2.40")},
        K.SPLIT: {"symbol": "AAPL", "ratio": D(4)},
        K.DEPOSIT: {"amount": D(1000)},
        K.WITHDRAWAL: {"amount": D(250)},
        K.INTEREST: {"amount": D("0.87")},
        K.FEE: {"amount": D(5)},
    }
    return TransactionDraft(kind, fields.pop("trade_date", date(2024, 1, 15)), **(valid[kind] | fields))


def violations(candidate: TransactionDraft, **options: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate_draft(candidate, today=TODAY, **options)
    return [(v.field, v.message) for v in caught.value.violations]


@pytest.mark.parametrize("kind", list(K))
def test_a_valid_draft_of_every_kind_passes_unchanged(kind: TransactionKind) -> None:
    candidate = draft(kind)
    assert validate_draft(candidate, today=TODAY) == candidate


def test_symbol_and_notes_are_normalised() -> None:
    result = validate_draft(draft(symbol="  brk.b ", notes="  long-term hold  "), today=TODAY)
    assert (result.symbol, result.notes) == ("BRK.B", "long-term hold")


def test_an_empty_symbol_is_no_symbol() -> None:
    assert validate_draft(draft(K.FEE, symbol="  "), today=TODAY).symbol is None


def test_a_fee_may_name_a_position() -> None:
    assert validate_draft(draft(K.FEE, symbol="spy"), today=TODAY).symbol == "SPY"


def test_the_kind_may_arrive_as_its_value() -> None:
    assert validate_draft(draft(kind="buy"), today=TODAY).kind is K.BUY  # type: ignore[arg-type]


def test_the_message_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_draft(draft(quantity=D(0)), today=TODAY)
    assert str(caught.value) == "quantity: must be greater than 0"


def test_every_violation_is_listed_at_once() -> None:
    hostile = TransactionDraft(
        K.BUY,
        date(2031, 1, 1),
        None,
        quantity=D(-3),
        price=D("-1"),
        amount=D(7),
        ratio=D(2),
        commission=D("-0.5"),
        notes="x" * 1001,
    )
    assert violations(hostile) == [
        ("trade_date", "must not be in the future"),
        ("symbol", "required for a buy"),
        ("quantity", "must be greater than 0"),
        ("price", "must not be negative"),
        ("amount", "does not apply to a buy; leave it empty or 0"),
        ("ratio", "does not apply to a buy; leave it empty or 0"),
        ("commission", "must not be negative"),
        ("notes", "must be at most 1000 characters"),
    ]


def test_the_prefix_goes_before_every_field() -> None:
    found = violations(draft(quantity=D(-1), symbol=None), field_prefix="transactions[3].")
    assert found == [
        ("transactions[3].symbol", "required for a buy"),
        ("transactions[3].quantity", "must be greater than 0"),
    ]


@pytest.mark.parametrize(
    ("kind", "field", "value", "message"),
    [
        (K.SELL, "quantity", D(-5), "must be greater than 0"),
        (K.DIVIDEND, "amount", D(0), "must be greater than 0"),
        (K.DIVIDEND, "symbol", None, "required for a dividend"),
        (K.DIVIDEND, "quantity", D(3), "does not apply to a dividend; leave it empty or 0"),
        (K.SPLIT, "ratio", D(0), "must be greater than 0"),
        (K.SPLIT, "ratio", D(-2), "must be greater than 0"),
        (K.SPLIT, "commission", D(1), "does not apply to a split; leave it empty or 0"),
        (K.SPLIT, "price", D(1), "does not apply to a split; leave it empty or 0"),
        (K.DEPOSIT, "symbol", "AAPL", "does not apply to a deposit; leave it empty"),
        (K.WITHDRAWAL, "amount", D(-100), "must be greater than 0"),
        (K.INTEREST, "symbol", "CASH", "does not apply to an interest payment; leave it empty"),
        (K.FEE, "quantity", D(1), "does not apply to a fee; leave it empty or 0"),
        (K.FEE, "amount", D(0), "must be greater than 0"),
    ],
)
def test_rules_per_kind(kind: TransactionKind, field: str, value: object, message: str) -> None:
    assert violations(draft(kind, **{field: value})) == [(field, message)]


def test_a_free_buy_has_price_zero_and_cash_kinds_may_carry_a_commission() -> None:
    validate_draft(draft(price=D(0)), today=TODAY)
    validate_draft(draft(K.WITHDRAWAL, commission=D(25)), today=TODAY)


@pytest.mark.parametrize("symbol", ["BRK.B", "^GSPC", "ES=F", "BF-B", "7203.T", "A" * 32, "a"])
def test_symbols_in_use_are_accepted(symbol: str) -> None:
    assert validate_draft(draft(symbol=symbol), today=TODAY).symbol == symbol.upper()


@pytest.mark.parametrize(
    "symbol", ["A" * 33, "=CMD", "-X", "+X", "@X", ".X", "BRK B", "AAPL\x00", "ÄPPLE", "ﬀ", "A/B", "$SPX"]
)
def test_other_symbols_are_rejected(symbol: str) -> None:
    (field, message), *_ = violations(draft(symbol=symbol))
    assert field == "symbol"
    assert message.startswith("must be 1-32 characters of A-Z, 0-9")


def test_normalise_symbol_names_the_given_field() -> None:
    assert normalise_symbol(" ^gspc ", "benchmark") == "^GSPC"
    with pytest.raises(ValidationFailed) as caught:
        normalise_symbol("S&P 500", "benchmark")
    assert caught.value.violations[0].field == "benchmark"


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(2024, 6, 29), "must not be in the future"),
        (date(1899, 12, 31), "must be on or after 1900-01-01"),
        (date.min, "must be on or after 1900-01-01"),
        (date.max, "must not be in the future"),
        (datetime(2024, 1, 15, 12, 0), "must be a calendar date"),
        ("2024-01-15", "must be a calendar date"),
    ],
)
def test_trade_dates_outside_the_range(day: object, message: str) -> None:
    assert violations(draft(trade_date=day)) == [("trade_date", message)]


def test_the_range_of_trade_dates_is_inclusive() -> None:
    validate_draft(draft(trade_date=TODAY), today=TODAY)
    validate_draft(draft(trade_date=date(1900, 1, 1)), today=TODAY)


@pytest.mark.parametrize(
    "value", ["999999999999999999", "0.0000000001", "123456789012345678.1234567890", "1.50000000000000"]
)
def test_numbers_that_fit_numeric_28_10(value: str) -> None:
    validate_draft(draft(price=D(value)), today=TODAY)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1000000000000000000", "must have at most 18 digits before the decimal point"),
        ("1E+18", "must have at most 18 digits before the decimal point"),
        ("0.00000000001", "must have at most 10 decimal places"),
        # 29 significant digits: refused, not rounded to the 28 a default context would keep.
        ("123456789012345678.12345678901", "must have at most 10 decimal places"),
        ("NaN", "must be a finite number"),
        ("sNaN", "must be a finite number"),
        ("-Infinity", "must be a finite number"),
    ],
)
def test_numbers_beyond_the_limits(value: str, message: str) -> None:
    assert violations(draft(price=D(value))) == [("price", message)]


def test_a_huge_zero_is_still_zero() -> None:
    validate_draft(draft(amount=D("0E+40")), today=TODAY)


@pytest.mark.parametrize("value", [1.5, 10, "10", None])
def test_numbers_must_be_decimals(value: object) -> None:
    assert violations(draft(quantity=value)) == [("quantity", "must be a decimal number")]


def test_an_unknown_kind_still_reports_the_other_fields() -> None:
    bogus = TransactionDraft("purchase", date(2024, 1, 1), "A B", quantity=D("NaN"))  # type: ignore[arg-type]
    assert [field for field, _ in violations(bogus)] == ["kind", "symbol", "quantity"]


@pytest.mark.parametrize(
    "notes", ["a\x00b", "line\nbreak", "tab\there", "bell\x07", "next\x85line", "rtl\u202eoverride", "\ud800"]
)
def test_notes_with_control_characters_are_rejected(notes: str) -> None:
    assert violations(draft(notes=notes)) == [
        ("notes", "must not contain control characters (line breaks and tabs included)")
    ]


def test_notes_may_be_any_printable_text_up_to_1000_characters() -> None:
    prefix = 'Déjà vu 📈, "quoted", =not a formula here; '
    notes = prefix + "x" * (1000 - len(prefix))
    assert len(notes) == 1000
    assert validate_draft(draft(notes=notes), today=TODAY).notes == notes


@pytest.mark.parametrize(
    ("text", "expected"), [("12", "12"), (" -3.5 ", "-3.5"), ("+0.25", "0.25"), ("", "0")]
)
def test_parse_decimal_reads_plain_decimals(text: str, expected: str) -> None:
    assert parse_decimal(text, "price") == D(expected)


def test_parse_decimal_keeps_the_written_places() -> None:
    assert str(parse_decimal("185.20", "price")) == "185.20"


@pytest.mark.parametrize(
    "text", ["1e3", "1,000", "1.000,5", "12.", ".5", "NaN", "٣", "=1+2", "1" * 65, "0x10"]
)
def test_parse_decimal_refuses_everything_else(text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_decimal(text, "price")
    assert str(caught.value) == "price: must be a decimal number such as 12.50"


def test_parse_iso_date() -> None:
    assert parse_iso_date(" 2024-02-29 ", "trade_date") == date(2024, 2, 29)
    for text, message in [
        ("2024-02-30", "is not a valid calendar date"),
        ("2023-02-29", "is not a valid calendar date"),
        ("20240115", "must be a date written YYYY-MM-DD"),
        ("2024-1-5", "must be a date written YYYY-MM-DD"),
        ("15/01/2024", "must be a date written YYYY-MM-DD"),
        ("2024-01-15T00:00", "must be a date written YYYY-MM-DD"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            parse_iso_date(text, "date")
        assert str(caught.value) == f"date: {message}"


def test_parse_choice_ignores_case_and_spaces() -> None:
    assert parse_choice(" Average ", CostMethod, "cost_method") is CostMethod.AVERAGE
    with pytest.raises(ValidationFailed) as caught:
        parse_choice("lifo", CostMethod, "cost_method")
    assert str(caught.value) == "cost_method: must be one of fifo, average"


positive_decimals = st.integers(0, 10).flatmap(
    lambda places: st.decimals(
        min_value=D(1).scaleb(-places), max_value=D("999999999999999999"), places=places
    )
)


@given(
    quantity=positive_decimals,
    price=positive_decimals,
    symbol=st.from_regex(r"[A-Za-z0-9^][A-Za-z0-9.^=-]{0,31}", fullmatch=True),
)
def test_validation_is_idempotent(quantity: Decimal, price: Decimal, symbol: str) -> None:
    once = validate_draft(draft(quantity=quantity, price=price, symbol=symbol), today=TODAY)
    assert validate_draft(once, today=TODAY) == once
    assert once.quantity.as_tuple() == quantity.as_tuple()
