"""What can go wrong in the portfolio domain, independent of any transport.

The API layer maps each class to one status code in a single table. The names say what
happened, so they go without an ``Error`` suffix.
"""

from __future__ import annotations

from uuid import UUID

# The shared vocabulary of bad input, re-exported: the one module of the platform a domain uses.
from eqr_platform.validation import FORBIDDEN_TEXT_CHARACTERS as FORBIDDEN_TEXT_CHARACTERS
from eqr_platform.validation import DomainError as DomainError
from eqr_platform.validation import FieldViolation as FieldViolation
from eqr_platform.validation import ValidationFailed as ValidationFailed
from eqr_platform.validation import ViolationCollector as ViolationCollector


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
