"""What can go wrong in the portfolio domain, independent of any transport.

The API layer maps each class to one status code in a single table. The names say what
happened, so they go without an ``Error`` suffix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

T = TypeVar("T")


class DomainError(Exception):
    """Base of every expected failure; the message is safe to show to the caller."""


@dataclass(frozen=True)
class FieldViolation:
    field: str
    message: str


class ValidationFailed(DomainError):
    """Bad input; carries every violation found, each naming its field."""

    def __init__(self, *violations: FieldViolation) -> None:
        if not violations:
            raise ValueError("ValidationFailed needs at least one violation")
        self.violations = violations
        super().__init__("; ".join(f"{v.field}: {v.message}" for v in violations))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls(FieldViolation(field, message))


class ViolationCollector:
    """Runs several checks and reports all their violations at once."""

    def __init__(self) -> None:
        self.violations: list[FieldViolation] = []

    def add(self, field: str, message: str) -> None:
        self.violations.append(FieldViolation(field, message))

    def apply(self, check: Callable[[], T], fallback: T) -> T:
        try:
            return check()
        except ValidationFailed as exc:
            self.violations.extend(exc.violations)
            return fallback

    def raise_if_any(self) -> None:
        if self.violations:
            raise ValidationFailed(*self.violations)


class LedgerRejected(DomainError):
    """A transaction the ledger cannot accept in its place (selling more than is held,
    a buy beyond the cash of a strict portfolio, ...). ``field`` names the field at fault and
    ``transaction_id``, when known, the entry that was refused."""

    def __init__(self, field: str, reason: str, *, transaction_id: UUID | None = None) -> None:
        self.field = field
        self.reason = reason
        self.transaction_id = transaction_id
        super().__init__(reason)


class NotFound(DomainError):
    def __init__(self, entity: str) -> None:
        self.entity = entity
        super().__init__(f"{entity} not found")


class PermissionDenied(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate share, a stale version)."""
