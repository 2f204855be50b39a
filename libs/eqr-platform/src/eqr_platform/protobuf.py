"""Conversions between Python values and the well-known and common protobuf messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation

from google.protobuf.timestamp_pb2 import Timestamp

from eqr.common.v1 import date_pb2, decimal_pb2


def timestamp_pb(moment: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(moment)
    return result


def from_timestamp_pb(value: Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def midnight_pb(day: date) -> Timestamp:
    """00:00 UTC of ``day``, how daily bars and date bounds travel as timestamps."""
    return timestamp_pb(datetime.combine(day, time(), tzinfo=UTC))


def date_pb(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def from_date_pb(value: date_pb2.Date) -> date:
    """Raises ValueError for a date that does not exist (2024-02-30, month 0)."""
    return date(value.year, value.month, value.day)


def decimal_pb(value: Decimal) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=str(value))


def from_decimal_pb(value: decimal_pb2.Decimal) -> Decimal:
    """Raises ValueError for text that is not a finite decimal number."""
    try:
        result = Decimal(value.value.strip())
    except InvalidOperation:
        raise ValueError(f"{value.value[:40]!r} is not a decimal number") from None
    if not result.is_finite():
        raise ValueError("must be a finite number")
    return result
