"""The portfolio as a JSON document: an exact round trip, and strict reading of hostile documents."""

from __future__ import annotations

import copy
import json
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_portfolio.domain.drafts import TransactionDraft, validate_draft
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.portfolio_document import from_document, to_document
from eqr_portfolio.domain.portfolios import PortfolioSettingsDraft, validate_portfolio_settings
from eqr_portfolio.domain.transactions import CashMode, CostMethod, TransactionKind

D = Decimal
K = TransactionKind
TODAY = date(2024, 6, 28)
SETTINGS = PortfolioSettingsDraft(
    "Core", "USD", "Long-term\nholdings", "^GSPC", CostMethod.AVERAGE, CashMode.STRICT
)
TRANSACTIONS = [
    TransactionDraft(K.DEPOSIT, date(2024, 1, 2), amount=D("10000.00")),
    TransactionDraft(K.BUY, date(2024, 1, 3), "AAPL", D(10), D("185.20"), commission=D("0.0000000001")),
    TransactionDraft(K.SPLIT, date(2024, 6, 10), "NVDA", ratio=D(10), notes="10-for-1"),
]


def read(
    document: object, max_transactions: int = 100
) -> tuple[PortfolioSettingsDraft, list[TransactionDraft]]:
    return from_document(document, today=TODAY, max_transactions=max_transactions)


def violations(document: object, max_transactions: int = 100) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        read(document, max_transactions)
    return [(v.field, v.message) for v in caught.value.violations]


def document(**changes: Any) -> dict[str, Any]:
    """A valid document with top-level keys replaced (``None`` removes one)."""
    base: dict[str, Any] = json.loads(json.dumps(to_document(SETTINGS, TRANSACTIONS)))
    for key, value in changes.items():
        if value is None:
            del base[key]
        else:
            base[key] = value
    return base


def with_transaction(index: int, **changes: Any) -> dict[str, Any]:
    entries = copy.deepcopy(document()["transactions"])
    entries[index].update(changes)
    return document(transactions=entries)


def test_the_document_shape() -> None:
    assert to_document(SETTINGS, TRANSACTIONS[1:2]) == {
        "format": "eqr.portfolio",
        "version": 1,
        "portfolio": {
            "name": "Core",
            "description": "Long-term\nholdings",
            "base_currency": "USD",
            "benchmark": "^GSPC",
            "cost_method": "average",
            "cash_mode": "strict",
            "allow_short": False,
        },
        "transactions": [
            {
                "kind": "buy",
                "trade_date": "2024-01-03",
                "symbol": "AAPL",
                "quantity": "10",
                "price": "185.20",
                "amount": "0",
                "ratio": "0",
                "commission": "0.0000000001",
                "notes": "",
            }
        ],
    }


def test_a_document_reads_back_as_written() -> None:
    assert read(document()) == (SETTINGS, TRANSACTIONS)


def test_optional_fields_may_be_left_out() -> None:
    minimal = {
        "format": "eqr.portfolio",
        "version": 1,
        "portfolio": {"name": "Cash", "base_currency": "eur"},
        "transactions": [{"kind": "deposit", "trade_date": "2024-01-02", "amount": "5"}],
    }
    assert read(minimal) == (
        PortfolioSettingsDraft("Cash", "EUR"),
        [TransactionDraft(K.DEPOSIT, date(2024, 1, 2), amount=D(5))],
    )


@pytest.mark.parametrize("value", [[], "eqr.portfolio", None, 1, True])
def test_a_document_must_be_an_object(value: object) -> None:
    assert violations(value) == [("document", "must be a JSON object")]


def test_the_envelope_is_checked_first() -> None:
    assert violations({"version": 1, "extra": 1, "portfolio": {}}) == [
        ("document", "has unknown fields: 'extra'"),
        ("format", "required"),
        ("transactions", "required"),
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"format": "eqr.portfolio.v2"}, ("format", 'must be "eqr.portfolio"')),
        ({"format": ["eqr.portfolio"]}, ("format", 'must be "eqr.portfolio"')),
        ({"version": 2}, ("version", "is not supported; this server reads version 1")),
        ({"version": 10**5000}, ("version", "is not supported; this server reads version 1")),
        ({"version": True}, ("version", "must be an integer")),
        ({"version": "1"}, ("version", "must be an integer")),
        ({"version": 1.0}, ("version", "must be an integer")),
    ],
)
def test_format_and_version(changes: dict[str, Any], expected: tuple[str, str]) -> None:
    assert violations(document(**changes)) == [expected]


def test_every_violation_is_reported_with_its_path() -> None:
    hostile = document(
        portfolio={
            "name": " ",
            "base_currency": "US$",
            "allow_short": "yes",
            "cost_method": "lifo",
            "colour": 1,
        },
        transactions=[
            {"kind": "buy", "trade_date": "2024-02-30", "symbol": "AAPL", "quantity": 10, "price": "-1"},
            "not an object",
            {"kind": "split", "trade_date": "2024-01-01", "symbol": None, "notes": "a\x00b"},
            {"kind": "purchase", "trade_date": "2024-01-01", "quantity": "1.5", "unknown": True},
            {"kind": "deposit", "trade_date": "2024-01-01", "amount": 100.1},
        ],
    )
    assert violations(hostile) == [
        ("portfolio", "has unknown fields: 'colour'"),
        ("portfolio.cost_method", "must be one of fifo, average"),
        ("portfolio.allow_short", "must be true or false"),
        ("portfolio.name", "required"),
        ("portfolio.base_currency", "must be a three-letter ISO 4217 currency code such as USD"),
        ("transactions[0].trade_date", "is not a valid calendar date"),
        ("transactions[0].quantity", 'must be a decimal number written as a string, such as "12.50"'),
        ("transactions[0].price", "must not be negative"),
        ("transactions[1]", "must be a JSON object"),
        ("transactions[2].symbol", "required for a split"),
        ("transactions[2].ratio", "must be greater than 0"),
        ("transactions[2].notes", "must not contain control characters (line breaks and tabs included)"),
        ("transactions[3]", "has unknown fields: 'unknown'"),
        (
            "transactions[3].kind",
            "must be one of buy, sell, dividend, split, deposit, withdrawal, fee, interest",
        ),
        ("transactions[4].amount", 'must be a decimal number written as a string, such as "12.50"'),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", "1e3", "must be a decimal number such as 12.50"),
        ("quantity", "NaN", "must be a decimal number such as 12.50"),
        ("quantity", "1" * 19, "must have at most 18 digits before the decimal point"),
        ("quantity", None, 'must be a decimal number written as a string, such as "12.50"'),
        ("symbol", 42, "must be a string"),
        ("symbol", "=CMD", None),
        ("notes", ["a"], "must be a string"),
        ("trade_date", "20240103", "must be a date written YYYY-MM-DD"),
        ("trade_date", "2099-01-01", "must not be in the future"),
        ("kind", 1, "must be a string"),
    ],
)
def test_transaction_fields(field: str, value: object, message: str | None) -> None:
    ((path, found),) = violations(with_transaction(1, **{field: value}))
    assert path == f"transactions[1].{field}"
    assert message is None or found == message


def test_required_transaction_fields() -> None:
    entries = document()["transactions"]
    del entries[0]["kind"]
    del entries[2]["trade_date"]
    assert violations(document(transactions=entries)) == [
        ("transactions[0].kind", "required"),
        ("transactions[2].trade_date", "required"),
    ]


def test_too_many_transactions_are_refused_before_any_is_read() -> None:
    entries = [{"kind": "fee"}] * 100_000
    started = time.perf_counter()
    assert violations(document(transactions=entries), max_transactions=10_000) == [
        ("transactions", "at most 10000 transactions per document")
    ]
    assert time.perf_counter() - started < 0.5


def test_transactions_must_be_a_list() -> None:
    assert violations(document(transactions={"0": {}})) == [("transactions", "must be a list")]


def test_hostile_unknown_keys_are_shown_bounded() -> None:
    hostile = document()
    hostile["portfolio"]["\x1b[31m" + "k" * 10_000] = 1
    ((field, message),) = violations(hostile)
    assert field == "portfolio"
    assert message == "has unknown fields: '?[31m" + "k" * 34 + "…'"


names = st.text(
    st.characters(
        blacklist_categories=("Cc", "Cs"),
        blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    min_size=1,
    max_size=100,
).filter(str.strip)
symbols = st.from_regex(r"[A-Z0-9^][A-Z0-9.^=-]{0,31}", fullmatch=True)
settings = st.builds(
    PortfolioSettingsDraft,
    names,
    st.from_regex(r"[A-Z]{3}", fullmatch=True),
    st.text(max_size=300).filter(lambda text: validate_or_none(text) is not None),
    st.none() | symbols,
    st.sampled_from(CostMethod),
    st.sampled_from(CashMode),
    st.booleans(),
).map(validate_portfolio_settings)


def validate_or_none(description: str) -> str | None:
    try:
        return validate_portfolio_settings(PortfolioSettingsDraft("x", "USD", description)).description
    except ValidationFailed:
        return None


def decimals(low: str) -> st.SearchStrategy[Decimal]:
    """Plain decimals from ``low`` up to 18 integer digits, with 0-10 places, written as they were drawn."""
    return st.integers(0, 10).flatmap(
        lambda places: st.decimals(
            min_value=max(D(low), D(1).scaleb(-places)), max_value=D("9" * 18), places=places
        )
    )


positive = decimals("0")
days = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
texts = names | st.just("")
transactions = st.one_of(
    st.builds(
        TransactionDraft,
        st.sampled_from([K.BUY, K.SELL]),
        days,
        symbols,
        positive,
        positive | st.just(D(0)),
        commission=positive,
        notes=texts,
    ),
    st.builds(
        TransactionDraft,
        st.sampled_from([K.DIVIDEND, K.FEE]),
        days,
        symbols,
        amount=positive,
        commission=positive,
        notes=texts,
    ),
    st.builds(TransactionDraft, st.just(K.SPLIT), days, symbols, ratio=positive, notes=texts),
    st.builds(
        TransactionDraft,
        st.sampled_from([K.DEPOSIT, K.WITHDRAWAL, K.INTEREST, K.FEE]),
        days,
        amount=positive,
        notes=texts,
    ),
).map(lambda draft: validate_draft(draft, today=TODAY))


@given(settings, st.lists(transactions, max_size=10))
def test_export_then_import_reproduces_the_portfolio_exactly(
    portfolio: PortfolioSettingsDraft, entries: list[TransactionDraft]
) -> None:
    text = json.dumps(to_document(portfolio, entries))
    read_settings, read_entries = read(json.loads(text))
    assert (read_settings, read_entries) == (portfolio, entries)
    for written, back in zip(entries, read_entries, strict=True):
        for field in ("quantity", "price", "amount", "ratio", "commission"):
            assert getattr(back, field).as_tuple() == getattr(written, field).as_tuple(), field
