"""Scalar proto fields -> domain values, for the other wire modules and the API.

Inbound conversions raise ``ValidationFailed`` naming the proto field, so malformed
numbers and dates become a 422 like any other bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from google.protobuf.message import Message

from eqr.common.v1 import date_pb2, decimal_pb2
from eqr_platform.protobuf import from_date_pb, from_decimal_pb
from eqr_portfolio.domain.errors import ValidationFailed

E = TypeVar("E")


def enum_from_pb(table: Mapping[E, int], value: int, field: str) -> E:
    for member, number in table.items():
        if number == value:
            return member
    raise ValidationFailed.single(field, f"must be one of {', '.join(str(m) for m in table)}")


def optional_enum_from_pb(table: Mapping[E, int], value: int, field: str) -> E | None:
    """Unset (0) is None: the caller takes the default."""
    return None if value == 0 else enum_from_pb(table, value, field)


def decimal_from_pb(value: decimal_pb2.Decimal, field: str, *, present: bool = True) -> Decimal:
    """An absent decimal is zero."""
    if not present:
        return Decimal(0)
    return _parsed(lambda: from_decimal_pb(value), field)


def date_from_pb(value: date_pb2.Date, field: str) -> date:
    return _parsed(lambda: from_date_pb(value), field)


def _parsed(parse: Callable[[], E], field: str) -> E:
    try:
        return parse()
    except ValueError as exc:
        raise ValidationFailed.single(field, str(exc)) from None


def uuid_from_pb(value: str, field: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise ValidationFailed.single(field, "must be a UUID") from None


def optional_date_from_pb(message: Message, name: str, field: str) -> date | None:
    return date_from_pb(getattr(message, name), field) if message.HasField(name) else None


def optional_decimal_from_pb(message: Message, name: str, field: str) -> Decimal | None:
    return decimal_from_pb(getattr(message, name), field) if message.HasField(name) else None
