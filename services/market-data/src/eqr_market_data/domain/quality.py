"""Data-quality findings. The checks themselves live next to this type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Severity(StrEnum):
    REJECTED = "rejected"
    """The row is not stored."""
    FLAGGED = "flagged"
    """The row is stored, and the finding is recorded next to it."""


@dataclass(frozen=True)
class QualityIssue:
    symbol: str
    check: str
    """Which check found it, e.g. ``non_positive_price``, ``high_below_low``, ``outlier_jump``."""
    severity: Severity
    message: str
    field: str = ""
    line: int = 0
    """1-based line of an imported file (0 when the data did not come from a file)."""
    observed_at: datetime | None = None
