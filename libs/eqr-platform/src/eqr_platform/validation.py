"""Bad input, described so every layer can name the field at fault.

Pure standard library, so the services' domains (which import nothing of the platform but
this) raise the same ``ValidationFailed`` that their error tables map to a 422 naming each
field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

T = TypeVar("T")

FORBIDDEN_TEXT_CHARACTERS: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
"""Control characters (C0, DEL, C1), lone surrogates and the bidirectional overrides that can make
text display differently from what it is: refused in names and notes (PostgreSQL text cannot
even hold a NUL)."""


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
        """The first field at fault."""
        return self.violations[0].field


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
