"""What can go wrong in the auth domain, independent of any transport.

The API layer maps each class to one status code in a single table. The names say what
happened (``NotFound``, ``AccountLocked``), so they go without an ``Error`` suffix.
"""

from __future__ import annotations

# The shared vocabulary of bad input, re-exported: the one module of the platform a domain uses.
from eqr_platform.validation import DomainError as DomainError
from eqr_platform.validation import FieldViolation as FieldViolation
from eqr_platform.validation import ValidationFailed as ValidationFailed
from eqr_platform.validation import ViolationCollector as ViolationCollector


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
