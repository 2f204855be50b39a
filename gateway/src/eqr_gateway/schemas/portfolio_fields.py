"""Field types of the portfolio API: exact decimals, dates, symbols, ids, enums and paging.

Money and quantities travel as JSON strings holding exact decimals ("185.20"). Inputs also
take JSON numbers, read from their text (the portfolio routes parse JSON floats as
``Decimal``), never NaN, Infinity or booleans. Every string is bounded here; the portfolio
service applies the full rules (digits, signs, which fields a kind allows).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

CostMethod = Literal["fifo", "average"]
CashMode = Literal["tracking", "strict"]
AccessRole = Literal["owner", "editor", "viewer"]
ShareRole = Literal["viewer", "editor"]
TransactionKind = Literal["buy", "sell", "dividend", "split", "deposit", "withdrawal", "fee", "interest"]
AlertKind = Literal[
    "price_above",
    "price_below",
    "daily_move",
    "portfolio_value_above",
    "portfolio_value_below",
    "portfolio_drawdown",
]
TradeSide = Literal["buy", "sell"]
ImportFormat = Literal["csv", "ibkr_flex"]

MAX_DECIMAL_TEXT = 64
# The service allows 18 integer digits and 10 decimal places; this only keeps absurd
# exponents ("1e999999") from being expanded or stored.
_MAX_DECIMAL_EXPONENT = 40
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_NON_FINITE_TEXT = re.compile(r"[+-]?(?:nan|snan|inf|infinity)", re.IGNORECASE)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL_RULE = 'must be a decimal number: a string such as "12.50", or a JSON number'


def _decimal_text(value: object) -> str:
    """The decimal's plain text ("12.50" stays "12.50"), or a pydantic error naming the rule."""
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", _DECIMAL_RULE + ", not true or false")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_DECIMAL_TEXT or not (
            _DECIMAL_TEXT.fullmatch(text) or _NON_FINITE_TEXT.fullmatch(text)
        ):
            raise PydanticCustomError("decimal_parsing", _DECIMAL_RULE)
        number = Decimal(text)  # the patterns admit only text Decimal parses
    else:
        raise PydanticCustomError("decimal_type", _DECIMAL_RULE)
    if not number.is_finite():
        raise PydanticCustomError("finite_number", "must be a finite number")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if number.adjusted() > _MAX_DECIMAL_EXPONENT or exponent < -_MAX_DECIMAL_EXPONENT:
        raise PydanticCustomError("decimal_range", "has too many digits")
    return format(number, "f")


_DECIMAL_SCHEMA: JsonDict = {
    "anyOf": [
        {"type": "string", "pattern": r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,4})?\s*$"},
        {"type": "number"},
    ],
    "description": "An exact decimal, best sent as a string; a JSON number is read from its text.",
    "examples": ["185.20"],
}
DecimalIn = Annotated[str, BeforeValidator(_decimal_text), WithJsonSchema(_DECIMAL_SCHEMA)]
# Exact decimals the service computed, passed on as its text.
DecimalOut = Annotated[str, Field(json_schema_extra={"format": "decimal"}, examples=["1852.00"])]


def _iso_day(value: object) -> object:
    """Dates are "YYYY-MM-DD" strings only (no timestamps, no numbers)."""
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_format", "must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_parsing", "is not a valid calendar date") from None


Day = Annotated[date, BeforeValidator(_iso_day), WithJsonSchema({"type": "string", "format": "date"})]

SYMBOL_PATTERN = r"^[A-Za-z0-9^][A-Za-z0-9.^=\-]{0,31}$"
SYMBOL_DESCRIPTION = (
    'Ticker: 1-32 of A-Z, 0-9, ".", "^", "=", "-", starting with a letter, a digit or "^"; case-insensitive.'
)
Symbol = Annotated[
    str,
    StringConstraints(pattern=SYMBOL_PATTERN),
    AfterValidator(str.upper),
    Field(description=SYMBOL_DESCRIPTION, examples=["AAPL"]),
]
PortfolioName = Annotated[
    str, StringConstraints(min_length=1, max_length=100), Field(examples=["Retirement"])
]
Description = Annotated[str, StringConstraints(max_length=2000)]
Notes = Annotated[str, StringConstraints(max_length=1000)]
Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{3}$"),
    AfterValidator(str.upper),
    Field(description="ISO 4217 code.", examples=["USD"]),
]

TEMPLATE_ID_PATTERN = (
    r"^(builtin:[a-z0-9][a-z0-9-]{0,63}"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)
TEMPLATE_ID_DESCRIPTION = '"builtin:<slug>" for a built-in template, a UUID for one of your own.'
TemplateId = Annotated[
    str,
    StringConstraints(pattern=TEMPLATE_ID_PATTERN),
    Field(description=TEMPLATE_ID_DESCRIPTION, examples=["builtin:sixty-forty"]),
]

PortfolioIdPath = Annotated[UUID, Path(description="The portfolio's id.")]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Cursor = Annotated[
    str | None,
    Query(max_length=1024, pattern=r"^[!-~]+$", description="`next_cursor` of the previous page."),
]


def examples(example: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})
