"""The days the service takes from callers, and day arithmetic that stays inside the calendar.

One rule for every date a caller gives, the trade date of an entry and the day a report is
asked for alike: it is on or after ``EARLIEST_DATE``, 1 January 1900. No portfolio holds anything
older, so an earlier date is a typing slip (``0025-03-14``) or a probe, and is refused naming its
field, never taken to the edge of what ``datetime.date`` can hold. How late a date may be depends
on what it is, and each use case says: a trade date or a valuation day up to today, a range's
first day up to the last close; a range's last day may be any later day (the range stops at the
last close).
"""

from __future__ import annotations

from datetime import date

from eqr_portfolio.domain.errors import ViolationCollector

EARLIEST_DATE = date(1900, 1, 1)


def date_problem(day: date) -> str | None:
    """What is wrong with ``day`` as a date a caller gives, or ``None``."""
    return f"must be on or after {EARLIEST_DATE.isoformat()}" if day < EARLIEST_DATE else None


def check_dates(**days: date | None) -> None:
    """``ValidationFailed`` naming every given day (by its keyword) that breaks the rule."""
    found = ViolationCollector()
    for field, day in days.items():
        problem = None if day is None else date_problem(day)
        if problem:
            found.add(field, problem)
    found.raise_if_any()


def days_before(day: date, days: int) -> date:
    """``days`` days before ``day``, or the calendar's first day when that is earlier."""
    return date.fromordinal(max(day.toordinal() - days, date.min.toordinal()))
