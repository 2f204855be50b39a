"""A portfolio's settings as callers propose them, and the rules they must meet.

Used for creates and updates through the API and for imported portfolio documents. The base
currency is checked for its ISO 4217 shape (three letters) only: which currencies the platform
can price is the market data's business, not this rule's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from eqr_portfolio.domain.drafts import as_choice, normalise_symbol
from eqr_portfolio.domain.errors import FORBIDDEN_TEXT_CHARACTERS, FieldViolation, ValidationFailed
from eqr_portfolio.domain.transactions import CashMode, CostMethod

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 2000

_CURRENCY = re.compile(r"[A-Z]{3}")
_DESCRIPTION_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
"""As for other text, but a description may run over several lines and hold tabs."""


@dataclass(frozen=True)
class PortfolioSettingsDraft:
    name: str
    base_currency: str
    description: str = ""
    benchmark: str | None = None
    cost_method: CostMethod = CostMethod.FIFO
    cash_mode: CashMode = CashMode.TRACKING
    allow_short: bool = False


def validate_portfolio_settings(
    draft: PortfolioSettingsDraft, *, field_prefix: str = ""
) -> PortfolioSettingsDraft:
    """``draft`` normalised (name and description stripped, currency and benchmark upper-cased,
    empty benchmark as ``None``), or ``ValidationFailed`` listing every violation."""
    violations: list[FieldViolation] = []

    def violation(field: str, message: str) -> None:
        violations.append(FieldViolation(field_prefix + field, message))

    name = draft.name.strip() if isinstance(draft.name, str) else ""
    if not isinstance(draft.name, str) or not name:
        violation("name", "required")
    elif len(name) > MAX_NAME_LENGTH:
        violation("name", f"must be at most {MAX_NAME_LENGTH} characters")
    elif FORBIDDEN_TEXT_CHARACTERS.search(name):
        violation("name", "must not contain control characters (line breaks and tabs included)")

    description = draft.description.strip() if isinstance(draft.description, str) else ""
    if not isinstance(draft.description, str):
        violation("description", "must be text")
    elif len(description) > MAX_DESCRIPTION_LENGTH:
        violation("description", f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
    elif _DESCRIPTION_FORBIDDEN.search(description):
        violation("description", "must not contain control characters other than line breaks and tabs")

    currency = draft.base_currency.strip().upper() if isinstance(draft.base_currency, str) else ""
    if not (currency.isascii() and _CURRENCY.fullmatch(currency)):
        violation("base_currency", "must be a three-letter ISO 4217 currency code such as USD")

    benchmark = None
    if isinstance(draft.benchmark, str) and draft.benchmark.strip():
        try:
            benchmark = normalise_symbol(draft.benchmark, "benchmark")
        except ValidationFailed as error:
            violations.extend(FieldViolation(field_prefix + v.field, v.message) for v in error.violations)
    elif draft.benchmark is not None and not isinstance(draft.benchmark, str):
        violation("benchmark", "must be text")

    cost_method = as_choice(draft.cost_method, CostMethod)
    if cost_method is None:
        violation("cost_method", f"must be one of {', '.join(CostMethod)}")
    cash_mode = as_choice(draft.cash_mode, CashMode)
    if cash_mode is None:
        violation("cash_mode", f"must be one of {', '.join(CashMode)}")
    if not isinstance(draft.allow_short, bool):
        violation("allow_short", "must be true or false")

    if violations:
        raise ValidationFailed(*violations)
    assert cost_method is not None
    assert cash_mode is not None
    return replace(
        draft,
        name=name,
        description=description,
        base_currency=currency,
        benchmark=benchmark,
        cost_method=cost_method,
        cash_mode=cash_mode,
    )
