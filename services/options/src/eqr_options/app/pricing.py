"""Batch pricing, implied volatilities and early-exercise boundaries.

CPU-bound and synchronous: the servicer runs them in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Final

import numpy as np

from eqr_options.app.batches import Batch, Limits, Style, dividends_of, terms_of
from eqr_options.domain.american import american_greeks, american_price, early_exercise_boundary
from eqr_options.domain.american_implied_vol import american_implied_vol
from eqr_options.domain.arrays import FloatArray
from eqr_options.domain.black_scholes import Greeks, HigherGreeks, greeks, higher_greeks
from eqr_options.domain.errors import ValidationFailed
from eqr_options.domain.implied_vol import implied_vol
from eqr_options.domain.inputs import Model, OptionTerms, option_prices, volatilities

DEFAULT_BOUNDARY_POINTS: Final = 50

EUROPEAN_METHOD: Final = {
    Model.BSM: "European: Black-Scholes-Merton with a continuous dividend yield, analytic Greeks",
    Model.BLACK76: "European: Black-76 on the futures price, analytic Greeks",
}
AMERICAN_METHOD: Final = (
    "American: Andersen-Lake-Offengenden fixed-point (spectral collocation) method from a QD+"
    " start where early exercise has one boundary; the European price where early exercise never"
    " pays; a Broadie-Detemple binomial tree (Black-Scholes last step, Richardson extrapolation,"
    " European control variate) for two boundaries and for cash dividends (escrowed-dividend"
    " model). Greeks by central finite differences of the price: spot ±0.5%, vol ±0.5 points,"
    " rate and yield ±10 bp, theta over one calendar day."
)


class GreeksWanted(Enum):
    NONE = 0
    FIRST_ORDER = 1
    ALL = 2


@dataclass(frozen=True)
class BatchContext:
    """What a batch is read against: today (the default valuation date), the rate used when a
    batch gives none, and the size limits."""

    today: date
    default_rate: float
    limits: Limits

    def terms(self, batch: Batch) -> OptionTerms:
        return terms_of(batch, today=self.today, default_rate=self.default_rate, limits=self.limits)


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    reason: str


@dataclass(frozen=True)
class Priced:
    price: FloatArray
    greeks: Greeks | None
    higher: HigherGreeks | None
    errors: tuple[RowError, ...]
    method: str


@dataclass(frozen=True)
class Solved:
    vol: FloatArray
    errors: tuple[RowError, ...]


@dataclass(frozen=True)
class Boundaries:
    years: FloatArray
    """(options, points): years from the valuation date."""
    spot: FloatArray
    """(options, points): the spot at which exercise becomes optimal; NaN where it never is."""


def _unpriced(price: FloatArray) -> tuple[RowError, ...]:
    return tuple(
        RowError(int(row), "price", "the model could not price this row")
        for row in np.flatnonzero(~np.isfinite(price))
    )


def price_options(batch: Batch, vol: FloatArray, wanted: GreeksWanted, context: BatchContext) -> Priced:
    """Prices (and Greeks as ``wanted``); second-order Greeks are European only."""
    american = batch.style is Style.AMERICAN
    if american and wanted is GreeksWanted.ALL:
        raise ValidationFailed.single(
            "greeks", "second-order Greeks are European only: ask American rows for first order"
        )
    terms = context.terms(batch)
    vols = volatilities(vol, rows=terms.rows)
    dividends = dividends_of(batch, terms.rows)
    if not american:
        first = greeks(terms, vols)
        higher = higher_greeks(terms, vols) if wanted is GreeksWanted.ALL else None
        return Priced(
            first.price,
            first if wanted is not GreeksWanted.NONE else None,
            higher,
            _unpriced(first.price),
            EUROPEAN_METHOD[terms.model],
        )
    if wanted is GreeksWanted.NONE:
        price = american_price(terms, vols, dividends=dividends)
        return Priced(price, None, None, _unpriced(price), AMERICAN_METHOD)
    found = american_greeks(terms, vols, dividends=dividends)
    return Priced(found.price, found, None, _unpriced(found.price), AMERICAN_METHOD)


def solve_implied_vols(batch: Batch, price: FloatArray, context: BatchContext) -> Solved:
    """Implied volatilities of quoted prices; a row without one carries the reason."""
    terms = context.terms(batch)
    prices = option_prices(price, rows=terms.rows)
    if batch.style is Style.AMERICAN:
        solved = american_implied_vol(terms, prices, dividends=dividends_of(batch, terms.rows))
        vol, reasons = solved.vol, solved.reasons()
    else:
        dividends_of(batch, terms.rows)  # refuses cash dividends on European rows
        european = implied_vol(terms, prices)
        vol, reasons = european.vol, european.reasons()
    errors = tuple(RowError(row, "price", reason) for row, reason in enumerate(reasons) if reason)
    return Solved(vol, errors)


def exercise_boundaries(batch: Batch, vol: FloatArray, points: int, context: BatchContext) -> Boundaries:
    """The early-exercise boundary of every row as an American option (``points`` 0: 50)."""
    points = points or DEFAULT_BOUNDARY_POINTS
    if not 2 <= points <= 10_000:
        raise ValidationFailed.single("points", "must be between 2 and 10000 (50 when 0)")
    if batch.dividends:
        raise ValidationFailed.single("dividends", "the exercise boundary is for continuous yields only")
    terms = context.terms(batch)
    if terms.rows * points > context.limits.max_rows:
        raise ValidationFailed.single(
            "points", f"rows x points must be at most {context.limits.max_rows} (got {terms.rows * points})"
        )
    times, spots = early_exercise_boundary(terms, volatilities(vol, rows=terms.rows), points=points)
    return Boundaries(times, spots)
