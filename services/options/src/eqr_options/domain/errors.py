"""What can go wrong in the options domain, independent of any transport."""

from __future__ import annotations

# The shared vocabulary of bad input, re-exported: the one module of the platform a domain uses.
from eqr_platform.validation import FORBIDDEN_TEXT_CHARACTERS as FORBIDDEN_TEXT_CHARACTERS
from eqr_platform.validation import DomainError as DomainError
from eqr_platform.validation import FieldViolation as FieldViolation
from eqr_platform.validation import ValidationFailed as ValidationFailed
from eqr_platform.validation import ViolationCollector as ViolationCollector
