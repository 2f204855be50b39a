"""What can go wrong in the auth domain, independent of any transport.

The API layer maps each class to one status code in a single table. The names say what
happened (``NotFound``, ``AccountLocked``), so they go without an ``Error`` suffix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

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

    @property
    def field(self) -> str:
        return self.violations[0].field


class ViolationCollector:
    """Runs several checks and reports all their violations at once."""

    def __init__(self) -> None:
        self.violations: list[FieldViolation] = []

    def apply(self, check: Callable[[], T], fallback: T) -> T:
        try:
            return check()
        except ValidationFailed as exc:
            self.violations.extend(exc.violations)
            return fallback

    def raise_if_any(self) -> None:
        if self.violations:
            raise ValidationFailed(*self.violations)


class NotFound(DomainError):
    def __init__(self, entity: str) -> None:
        self.entity = entity
        super().__init__(f"{entity} not found")


class EmailAlreadyRegistered(DomainError):
    def __init__(self) -> None:
        super().__init__("an account with this email already exists")


class InvalidCredentials(DomainError):
    def __init__(self, message: str = "invalid email or password") -> None:
        super().__init__(message)


class AccountLocked(DomainError):
    """Too many failed logins for the account or the client address."""

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"too many failed logins; retry in {retry_after_seconds} s")


class AccountInactive(DomainError):
    def __init__(self) -> None:
        super().__init__("this account is deactivated")


class PermissionDenied(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


class InvalidToken(DomainError):
    """A refresh token, session or access token that is unknown, expired or revoked."""

    def __init__(self, message: str = "invalid or expired token") -> None:
        super().__init__(message)


class TokenReuseDetected(DomainError):
    """A rotated refresh token came back: its whole session has been revoked."""

    def __init__(self) -> None:
        super().__init__("refresh token reuse detected; the session has been revoked")
