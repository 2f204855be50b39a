"""Transactions as callers propose them, and the rules a proposal must meet to enter the ledger.

A draft is a transaction before it has an id and a place in the ledger. ``validate_draft`` is the
one gate every entry passes (single creates through the API, CSV and broker imports, portfolio
documents), so its messages are written for the person who typed the value, and each names its
field. The input is never echoed back: it may be long or hostile.

Limits, chosen so that every accepted number fits a ``NUMERIC(28, 10)`` column exactly:

- quantity, price, amount, ratio and commission: finite, at most 18 digits before the decimal
  point and 10 significant digits after it (trailing zeros do not count);
- symbol: 1-32 of ``A-Z 0-9 . - ^ =``, starting with a letter, a digit or ``^`` (``BRK.B``,
  ``^GSPC``, ``ES=F``), stored upper-case; a symbol can therefore never start a spreadsheet formula;
  an option contract's OCC symbol, padded or compact, is stored compact and must name a real
  date, is traded up to its expiry and takes no dividends or splits (see ``option_contracts``);
- trade date: from 1900-01-01 (``dates.EARLIEST_DATE``, the rule of every date a caller gives)
  up to ``today`` (the caller's clock; the domain has none);
- notes: at most 1000 characters, no control characters (line breaks and tabs included), no
  lone surrogates and no bidirectional-override characters, surrounding spaces stripped.

The ``parse_*`` helpers turn text (a CSV cell, a JSON string) into draft values with the same
field-naming errors, so every format reads numbers, dates and choices the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, TypeVar

from eqr_portfolio.domain.dates import date_problem
from eqr_portfolio.domain.errors import FORBIDDEN_TEXT_CHARACTERS, FieldViolation, ValidationFailed
from eqr_portfolio.domain.option_contracts import looks_like_option, option_contract
from eqr_portfolio.domain.transactions import NEEDS_SYMBOL, TRADES, TransactionKind

E = TypeVar("E", bound=StrEnum)

MAX_INTEGER_DIGITS = 18
MAX_DECIMAL_PLACES = 10
MAX_SYMBOL_LENGTH = 32
MAX_NOTES_LENGTH = 1000
MAX_NUMBER_TEXT_LENGTH = 64
"""Longer number text is rejected before it is parsed (18 + 10 digits need far fewer)."""

_SYMBOL = re.compile(rf"[A-Z0-9^][A-Z0-9.^=-]{{0,{MAX_SYMBOL_LENGTH - 1}}}")
_SYMBOL_RULE = (
    f"must be 1-{MAX_SYMBOL_LENGTH} characters of A-Z, 0-9, '.', '-', '^', '=', "
    "starting with a letter, a digit or '^'"
)
_DECIMAL_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_ISO_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_NUMBER_FIELDS = ("quantity", "price", "amount", "ratio", "commission")
_APPLICABLE: dict[TransactionKind, frozenset[str]] = {
    TransactionKind.BUY: frozenset({"symbol", "quantity", "price", "commission"}),
    TransactionKind.SELL: frozenset({"symbol", "quantity", "price", "commission"}),
    TransactionKind.DIVIDEND: frozenset({"symbol", "amount", "commission"}),
    TransactionKind.SPLIT: frozenset({"symbol", "ratio"}),
    TransactionKind.DEPOSIT: frozenset({"amount", "commission"}),
    TransactionKind.WITHDRAWAL: frozenset({"amount", "commission"}),
    TransactionKind.INTEREST: frozenset({"amount", "commission"}),
    TransactionKind.FEE: frozenset({"symbol", "amount", "commission"}),
}
"""The fields that carry meaning for each kind; every other field must be left zero or empty.
``commission`` applies wherever ``Transaction.cash_effect`` counts it, i.e. everywhere but splits."""

_KIND_NOUNS = {
    TransactionKind.BUY: "a buy",
    TransactionKind.SELL: "a sell",
    TransactionKind.DIVIDEND: "a dividend",
    TransactionKind.SPLIT: "a split",
    TransactionKind.DEPOSIT: "a deposit",
    TransactionKind.WITHDRAWAL: "a withdrawal",
    TransactionKind.INTEREST: "an interest payment",
    TransactionKind.FEE: "a fee",
}


class TransactionFields(Protocol):
    """What the export formats read: a ``Transaction`` or a ``TransactionDraft``."""

    @property
    def kind(self) -> TransactionKind: ...
    @property
    def trade_date(self) -> date: ...
    @property
    def symbol(self) -> str | None: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def ratio(self) -> Decimal: ...
    @property
    def commission(self) -> Decimal: ...
    @property
    def notes(self) -> str: ...


@dataclass(frozen=True)
class TransactionDraft:
    """A transaction before it has an id and a sequence; see ``Transaction`` for the fields."""

    kind: TransactionKind
    trade_date: date
    symbol: str | None = None
    quantity: Decimal = Decimal(0)
    price: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    ratio: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)
    notes: str = ""


def validate_draft(draft: TransactionDraft, *, today: date, field_prefix: str = "") -> TransactionDraft:
    """``draft`` normalised (symbol stripped and upper-cased, empty symbol as ``None``, notes
    stripped), or ``ValidationFailed`` listing every violation.

    ``field_prefix`` is put before each field name, e.g. ``"transactions[3]."``.
    """
    violations: list[FieldViolation] = []

    def violation(field: str, message: str) -> None:
        violations.append(FieldViolation(field_prefix + field, message))

    kind = as_choice(draft.kind, TransactionKind)
    if kind is None:
        violation("kind", f"must be one of {', '.join(TransactionKind)}")
    trade_date_problem = _trade_date_problem(draft.trade_date, today)
    if trade_date_problem:
        violation("trade_date", trade_date_problem)
    symbol, symbol_problem = _symbol(draft.symbol, kind)
    if symbol_problem:
        violation("symbol", symbol_problem)
    elif symbol is not None:
        for field, option_problem in _option_problems(symbol, kind, draft.trade_date):
            violation(field, option_problem)
    for name in _NUMBER_FIELDS:
        problem = _number_problem(name, getattr(draft, name), kind)
        if problem:
            violation(name, problem)
    notes, notes_problem = _notes(draft.notes)
    if notes_problem:
        violation("notes", notes_problem)
    if violations:
        raise ValidationFailed(*violations)
    assert kind is not None
    return replace(draft, kind=kind, symbol=symbol, notes=notes)


def normalise_symbol(raw: str, field: str = "symbol") -> str:
    """``raw`` stripped and upper-cased (an OCC symbol compact), or ``ValidationFailed`` naming ``field``."""
    problem = _symbol_syntax_problem(raw)
    if problem:
        raise ValidationFailed.single(field, problem)
    return _compact(raw)


def _compact(valid: str) -> str:
    """A symbol that passed the syntax check, upper-case and without the OCC padding."""
    return valid.strip().upper().replace(" ", "")


def parse_decimal(text: str, field: str) -> Decimal:
    """A plain decimal (``12``, ``-3.5``, ``+0.25``); empty text means 0. No exponents, no
    thousands separators, no locale commas: the formats document ``.`` as the decimal point."""
    stripped = text.strip()
    if not stripped:
        return Decimal(0)
    if len(stripped) > MAX_NUMBER_TEXT_LENGTH or not _DECIMAL_TEXT.fullmatch(stripped):
        raise ValidationFailed.single(field, "must be a decimal number such as 12.50")
    return Decimal(stripped)


def parse_iso_date(text: str, field: str) -> date:
    """A calendar date written ``YYYY-MM-DD``."""
    stripped = text.strip()
    if not _ISO_DATE_TEXT.fullmatch(stripped):
        raise ValidationFailed.single(field, "must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(stripped)
    except ValueError:
        raise ValidationFailed.single(field, "is not a valid calendar date") from None


def parse_choice(text: str, choices: type[E], field: str) -> E:
    """One of ``choices`` by value, ignoring case and surrounding spaces."""
    choice = as_choice(text.strip().lower(), choices)
    if choice is None:
        raise ValidationFailed.single(field, f"must be one of {', '.join(choices)}")
    return choice


def as_choice(value: object, choices: type[E]) -> E | None:
    """``value`` as a member of ``choices`` (a member or its exact value), or ``None``."""
    if not isinstance(value, str):
        return None
    try:
        return choices(value)
    except ValueError:
        return None


def _trade_date_problem(value: object, today: date) -> str | None:
    if not isinstance(value, date) or isinstance(value, datetime):
        return "must be a calendar date"
    problem = date_problem(value)
    if problem:
        return problem
    if value > today:
        return "must not be in the future"
    return None


def _symbol(value: object, kind: TransactionKind | None) -> tuple[str | None, str | None]:
    """The normalised symbol and the problem with it, if any."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if kind is not None and kind in NEEDS_SYMBOL:
            return None, f"required for {_KIND_NOUNS[kind]}"
        return None, None
    if not isinstance(value, str):
        return None, "must be text"
    if kind is not None and "symbol" not in _APPLICABLE[kind]:
        return None, f"does not apply to {_KIND_NOUNS[kind]}; leave it empty"
    problem = _symbol_syntax_problem(value)
    return _compact(value) if problem is None else value.strip().upper(), problem


def _option_problems(symbol: str, kind: TransactionKind | None, trade_date: object) -> list[tuple[str, str]]:
    """What is wrong with an entry on an option contract's symbol (nothing for shares)."""
    if not looks_like_option(symbol):
        return []
    contract = option_contract(symbol)
    if contract is None or contract.strike <= 0:
        return [("symbol", "is not a valid option symbol: the expiry must be a date and the strike above 0")]
    if kind in (TransactionKind.DIVIDEND, TransactionKind.SPLIT):
        return [("symbol", f"is an option contract: {_KIND_NOUNS[kind]} applies to its underlying")]
    if isinstance(trade_date, date) and trade_date > contract.expiry:
        return [("trade_date", f"is after the contract's expiry on {contract.expiry.isoformat()}")]
    return []


def _symbol_syntax_problem(raw: str) -> str | None:
    candidate = raw.strip()
    # ASCII first: str.upper() maps some non-ASCII letters to ASCII ones ("ﬀ" -> "FF").
    if candidate.isascii() and (_SYMBOL.fullmatch(candidate.upper()) or looks_like_option(candidate.upper())):
        return None
    return _SYMBOL_RULE


def _number_problem(name: str, value: object, kind: TransactionKind | None) -> str | None:
    if not isinstance(value, Decimal):
        return "must be a decimal number"
    if not value.is_finite():
        return "must be a finite number"
    if kind is not None and name not in _APPLICABLE[kind]:
        return None if value.is_zero() else f"does not apply to {_KIND_NOUNS[kind]}; leave it empty or 0"
    magnitude = _magnitude_problem(value)
    if magnitude:
        return magnitude
    if kind is not None and name == _required_positive(kind):
        return None if value > 0 else "must be greater than 0"
    return "must not be negative" if value < 0 else None


def _required_positive(kind: TransactionKind) -> str:
    if kind in TRADES:
        return "quantity"
    return "ratio" if kind is TransactionKind.SPLIT else "amount"


def _magnitude_problem(value: Decimal) -> str | None:
    """Counts digits from the representation, without arithmetic (a context would round)."""
    if value.is_zero():
        return None
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    decimal_places = max(0, -exponent - trailing_zeros)
    integer_digits = len(digits) + exponent
    if integer_digits > MAX_INTEGER_DIGITS:
        return f"must have at most {MAX_INTEGER_DIGITS} digits before the decimal point"
    if decimal_places > MAX_DECIMAL_PLACES:
        return f"must have at most {MAX_DECIMAL_PLACES} decimal places"
    return None


def _notes(value: object) -> tuple[str, str | None]:
    if not isinstance(value, str):
        return "", "must be text"
    notes = value.strip()
    if len(notes) > MAX_NOTES_LENGTH:
        return notes, f"must be at most {MAX_NOTES_LENGTH} characters"
    if FORBIDDEN_TEXT_CHARACTERS.search(notes):
        return notes, "must not contain control characters (line breaks and tabs included)"
    return notes, None
