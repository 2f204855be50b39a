"""Option batches as callers give them, validated into the domain's ``OptionTerms``.

Every column holds one value per row or a single value for every row. A row's time to expiry
is ``years`` or its ``expiry`` date counted ACT/365 from the valuation date, never both.
Violations name the caller's field (``kind``, ``expiry``) and the first row at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

import numpy as np

from eqr_options.app.legs import years_between
from eqr_options.domain.american import CashDividends, cash_dividends
from eqr_options.domain.arrays import BoolArray, FloatArray
from eqr_options.domain.errors import FieldViolation, ValidationFailed
from eqr_options.domain.inputs import Model, OptionTerms, option_terms

MAX_DIVIDENDS: Final = 200
"""Discrete dividends one batch may carry: fifty years of quarterly ones."""


class Style(StrEnum):
    EUROPEAN = "european"
    AMERICAN = "american"


@dataclass(frozen=True)
class Batch:
    """A batch as given; a 0-d array is one value for every row, an empty one an absent field."""

    model: Model
    style: Style
    is_call: BoolArray
    spot: FloatArray
    strike: FloatArray
    years: FloatArray
    expiry: tuple[date, ...]
    rate: FloatArray
    dividend_yield: FloatArray
    dividends: tuple[tuple[float, float], ...]
    """(years from the valuation date to the ex-date, cash amount), for American style."""
    valuation_date: date | None


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_american_rows: int


def _present(column: FloatArray) -> bool:
    return column.ndim == 0 or column.size > 0


def _years(batch: Batch, today: date) -> FloatArray:
    if batch.expiry and _present(batch.years):
        raise ValidationFailed.single("expiry", "give years or expiry, not both")
    if not batch.expiry:
        if not _present(batch.years):
            raise ValidationFailed.single("years", "is required (or expiry)")
        return batch.years
    start = batch.valuation_date or today
    years = np.array([years_between(start, expiry) for expiry in batch.expiry], dtype=np.float64)
    return years[0] if years.size == 1 else years


def terms_of(batch: Batch, *, today: date, default_rate: float, limits: Limits) -> OptionTerms:
    """Validated terms of ``batch``; ``default_rate`` when it gives no rate."""
    years = _years(batch, today)
    renamed = {"is_call": "kind", **({"years": "expiry"} if batch.expiry else {})}
    try:
        terms = option_terms(
            spot=batch.spot,
            strike=batch.strike,
            years=years,
            is_call=batch.is_call,
            rate=batch.rate if _present(batch.rate) else default_rate,
            dividend_yield=batch.dividend_yield if _present(batch.dividend_yield) else 0.0,
            model=batch.model,
            max_rows=limits.max_rows,
        )
    except ValidationFailed as exc:
        raise ValidationFailed(
            *(FieldViolation(renamed.get(v.field, v.field), v.message) for v in exc.violations)
        ) from None
    if batch.style is Style.AMERICAN and terms.rows > limits.max_american_rows:
        raise ValidationFailed.single(
            "style", f"American batches hold at most {limits.max_american_rows} rows (got {terms.rows})"
        )
    return terms


def dividends_of(batch: Batch, rows: int) -> CashDividends | None:
    """The batch's cash dividends (American style only), or None."""
    if len(batch.dividends) > MAX_DIVIDENDS:
        raise ValidationFailed.single("dividends", f"must hold at most {MAX_DIVIDENDS} dividends")
    if not batch.dividends:
        return None
    if batch.style is not Style.AMERICAN:
        raise ValidationFailed.single("dividends", "cash dividends apply to American style only")
    for row, (years, amount) in enumerate(batch.dividends):
        if not (np.isfinite(years) and years >= 0 and np.isfinite(amount) and amount >= 0):
            raise ValidationFailed.single(
                "dividends", f"row {row}: years and amount must be finite and not negative"
            )
    times, amounts = zip(*batch.dividends, strict=True)
    return cash_dividends(np.array(times), np.array(amounts), rows=rows)
