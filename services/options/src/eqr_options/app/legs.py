"""Strategy legs as callers give them (an expiry in years or as a date) and their domain form."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from eqr_options.domain import strategies
from eqr_options.domain.black_scholes import DAYS_PER_YEAR
from eqr_options.domain.errors import ValidationFailed, ViolationCollector
from eqr_options.domain.strategies import Leg, LegKind, Strategy

MAX_LEGS: Final = 16
MAX_NAME_LENGTH: Final = 200
MAX_MULTIPLIER: Final = 1_000_000


@dataclass(frozen=True)
class LegSpec:
    """One leg as given: ``expiry_years`` (from the valuation date) or an ``expiry`` date, not
    both; ``multiplier`` 0 means the standard 100."""

    kind: LegKind
    quantity: float
    premium: float
    strike: float = 0.0
    expiry_years: float = 0.0
    expiry: date | None = None
    vol: float = 0.0
    multiplier: int = 0


def years_between(start: date, end: date) -> float:
    """ACT/365, the day count of the whole service."""
    return (end - start).days / DAYS_PER_YEAR


def _leg(spec: LegSpec, valuation_date: date) -> Leg:
    numbers = {"quantity": spec.quantity, "premium": spec.premium, "strike": spec.strike}
    numbers |= {"expiry_years": spec.expiry_years, "vol": spec.vol}
    for name, value in numbers.items():
        if not math.isfinite(value):
            raise ValidationFailed.single(name, "must be a finite number")
    if not 0 <= spec.multiplier <= MAX_MULTIPLIER:
        raise ValidationFailed.single("multiplier", f"must be between 0 (standard: 100) and {MAX_MULTIPLIER}")
    if spec.kind is LegKind.STOCK:
        return strategies.shares(spec.quantity, spec.premium)
    if spec.expiry is not None and spec.expiry_years != 0:
        raise ValidationFailed.single("expiry", "give expiry_years or expiry, not both")
    years = spec.expiry_years
    if spec.expiry is not None:
        years = years_between(valuation_date, spec.expiry)
        if years <= 0:
            raise ValidationFailed.single("expiry", f"must be after the valuation date {valuation_date}")
    leg = strategies.option(spec.kind.value, spec.quantity, spec.strike, years, spec.premium, spec.vol)
    return replace(leg, multiplier=spec.multiplier or strategies.CONTRACT_MULTIPLIER)


def strategy_from_specs(name: str, specs: tuple[LegSpec, ...], valuation_date: date) -> Strategy:
    """The domain strategy; violations name the leg, e.g. ``legs[2].strike``."""
    collector = ViolationCollector()
    if not 0 < len(specs) <= MAX_LEGS:
        collector.add("legs", f"must have between 1 and {MAX_LEGS} legs")
    if len(name) > MAX_NAME_LENGTH:
        collector.add("name", f"must be at most {MAX_NAME_LENGTH} characters")
    collector.raise_if_any()
    legs = []
    for index, spec in enumerate(specs):
        try:
            legs.append(_leg(spec, valuation_date))
        except ValidationFailed as exc:
            for violation in exc.violations:
                collector.add(f"legs[{index}].{violation.field}", violation.message)
    collector.raise_if_any()
    return strategies.custom(name or "custom", legs)
