"""Validated batches of option terms: the boundary every pricing function starts from.

Rows are numpy arrays of one length; a scalar argument stands for every row. Times are in years
(the caller's day count, ACT/365 across this package), volatilities and rates are annualised
decimals with continuous compounding. A violation names its field and the first row at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from eqr_options.domain.arrays import BoolArray, FloatArray
from eqr_options.domain.errors import ValidationFailed, ViolationCollector

DEFAULT_MAX_ROWS: Final = 2_000_000
MAX_YEARS: Final = 50.0
MAX_VOL: Final = 10.0
"""1000% a year: beyond it a volatility is a typo, not a market."""
MAX_ABS_RATE: Final = 1.0

ArrayLike = float | int | bool | npt.ArrayLike


class Model(StrEnum):
    BSM = "bsm"
    """Black-Scholes-Merton on a spot with a continuous dividend yield (cost of carry r - q)."""
    BLACK76 = "black76"
    """Black-76 on a futures or forward price (cost of carry 0, discounted at r)."""


@dataclass(frozen=True, slots=True)
class OptionTerms:
    """Contract terms and market inputs, one row per option, all of length ``rows``.

    ``carry_yield`` is the yield q in the cost of carry b = r - q: the dividend yield for
    BSM, the rate itself for Black-76 (b = 0).
    """

    spot: FloatArray
    strike: FloatArray
    years: FloatArray
    rate: FloatArray
    carry_yield: FloatArray
    is_call: BoolArray
    model: Model

    @property
    def rows(self) -> int:
        return int(self.spot.shape[0])

    @property
    def sign(self) -> FloatArray:
        """+1 for calls, -1 for puts."""
        return np.where(self.is_call, 1.0, -1.0)

    def forward(self) -> FloatArray:
        return self.spot * np.exp((self.rate - self.carry_yield) * self.years)

    def take(self, index: npt.NDArray[np.intp] | BoolArray) -> OptionTerms:
        """The rows at ``index`` (positions or a mask), as a batch of their own."""
        return OptionTerms(
            self.spot[index],
            self.strike[index],
            self.years[index],
            self.rate[index],
            self.carry_yield[index],
            self.is_call[index],
            self.model,
        )


def _column(collector: ViolationCollector, field: str, value: ArrayLike) -> FloatArray | None:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        collector.add(field, "must be numbers")
        return None
    if array.ndim > 1:
        collector.add(field, "must be a number or a one-dimensional list")
        return None
    return array


def _first_bad(ok: BoolArray) -> int | None:
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if bad.size else None


def _check(collector: ViolationCollector, field: str, array: FloatArray, ok: BoolArray, message: str) -> bool:
    row = _first_bad(ok)
    if row is None:
        return True
    where = f"row {row}: " if array.ndim else ""
    collector.add(field, f"{where}{message} (got {array.reshape(-1)[row if array.ndim else 0]!r})")
    return False


def _rows(collector: ViolationCollector, columns: dict[str, FloatArray], max_rows: int) -> int:
    lengths = {name: int(a.shape[0]) for name, a in columns.items() if a.ndim == 1}
    rows = max(lengths.values(), default=1)
    for name, length in lengths.items():
        if length != rows:
            collector.add(name, f"has {length} rows where another field has {rows}")
    if rows == 0:
        collector.add(next(iter(lengths)), "must have at least one row")
    if rows > max_rows:
        collector.add(next(iter(lengths), "rows"), f"has {rows} rows, more than the limit of {max_rows}")
    return rows


def _positive(collector: ViolationCollector, field: str, a: FloatArray, upper: float = np.inf) -> None:
    with np.errstate(invalid="ignore"):
        if _check(collector, field, a, np.isfinite(a), "must be a finite number"):
            _check(collector, field, a, (a > 0) & (a <= upper), f"must be above 0 and at most {upper:g}")


def option_terms(
    *,
    spot: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    is_call: ArrayLike,
    rate: ArrayLike = 0.0,
    dividend_yield: ArrayLike = 0.0,
    model: Model | str = Model.BSM,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> OptionTerms:
    """Check and broadcast the terms of a batch; raise ``ValidationFailed`` naming every bad field.

    For ``model="black76"`` ``spot`` is the futures price and ``dividend_yield`` must be 0.
    """
    collector = ViolationCollector()
    try:
        chosen = Model(model)
    except ValueError:
        collector.add("model", f"must be one of {', '.join(m.value for m in Model)}")
        chosen = Model.BSM
    numeric = {"spot": spot, "strike": strike, "years": years, "rate": rate, "dividend_yield": dividend_yield}
    columns = {name: c for name, v in numeric.items() if (c := _column(collector, name, v)) is not None}
    calls = np.asarray(is_call)
    if calls.ndim > 1 or (calls.size and calls.dtype.kind not in "bi"):
        collector.add("is_call", "must be true/false per row")
        calls = np.asarray(True)
    collector.raise_if_any()
    rows = _rows(collector, {**columns, "is_call": calls.astype(np.float64)}, max_rows)
    collector.raise_if_any()
    _positive(collector, "spot", columns["spot"])
    _positive(collector, "strike", columns["strike"])
    _positive(collector, "years", columns["years"], MAX_YEARS)
    for name in ("rate", "dividend_yield"):
        a = columns[name]
        with np.errstate(invalid="ignore"):
            _check(collector, name, a, np.isfinite(a) & (np.abs(a) <= MAX_ABS_RATE), "must be within ±100%")
    if chosen is Model.BLACK76 and np.any(columns["dividend_yield"] != 0):
        collector.add("dividend_yield", "must be 0 for Black-76: the futures price carries no yield")
    collector.raise_if_any()

    def full(a: FloatArray) -> FloatArray:
        return np.ascontiguousarray(np.broadcast_to(a, (rows,)), dtype=np.float64)

    rate_rows = full(columns["rate"])
    carry = rate_rows if chosen is Model.BLACK76 else full(columns["dividend_yield"])
    return OptionTerms(
        spot=full(columns["spot"]),
        strike=full(columns["strike"]),
        years=full(columns["years"]),
        rate=rate_rows,
        carry_yield=carry,
        is_call=np.ascontiguousarray(np.broadcast_to(calls.astype(bool), (rows,))),
        model=chosen,
    )


def volatilities(vol: ArrayLike, *, rows: int, field: str = "vol") -> FloatArray:
    """Annualised volatilities for ``rows`` options: finite, above 0 and at most ``MAX_VOL``."""
    return _per_row(vol, rows=rows, field=field, upper=MAX_VOL)


def option_prices(price: ArrayLike, *, rows: int, field: str = "price") -> FloatArray:
    """Quoted option prices for ``rows`` options: finite and not negative (bounds are the solver's)."""
    collector = ViolationCollector()
    a = _matching(collector, field, price, rows)
    with np.errstate(invalid="ignore"):
        _check(collector, field, a, np.isfinite(a) & (a >= 0), "must be a finite number, not negative")
    collector.raise_if_any()
    return np.ascontiguousarray(np.broadcast_to(a, (rows,)), dtype=np.float64)


def _per_row(value: ArrayLike, *, rows: int, field: str, upper: float) -> FloatArray:
    collector = ViolationCollector()
    a = _matching(collector, field, value, rows)
    _positive(collector, field, a, upper)
    collector.raise_if_any()
    return np.ascontiguousarray(np.broadcast_to(a, (rows,)), dtype=np.float64)


def _matching(collector: ViolationCollector, field: str, value: ArrayLike, rows: int) -> FloatArray:
    """``value`` as a column for a batch of ``rows``; raises at once if it cannot be one."""
    a = _column(collector, field, value)
    collector.raise_if_any()
    assert a is not None
    if a.ndim == 1 and a.shape[0] != rows:
        raise ValidationFailed.single(field, f"has {a.shape[0]} rows where the batch has {rows}")
    return a


def require(condition: bool, field: str, message: str) -> None:
    """Raise ``ValidationFailed`` for ``field`` unless ``condition`` holds."""
    if not condition:
        raise ValidationFailed.single(field, message)
