"""Listed expiry dates and strike ladders as US equity options list them (a model, no holidays).

Weeklies: the next four Fridays. Monthlies: the third Friday of each of the next nine months.
LEAPS: the third Friday of January of the next two years after the monthlies run out. Strikes:
the listed spacing for the price level over a band that widens with expiry, halved near the
money (about 2,000 contracts for a $190 stock at 28% vol).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from eqr_options.domain.arrays import FloatArray

FRIDAY = 4
WEEKLIES = 4
MONTHLIES = 9
LEAPS_YEARS = 2


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(FRIDAY - first.weekday()) % 7 + 14)


def listed_expiries(as_of: date) -> list[date]:
    """Expiries after ``as_of``, sorted, without duplicates."""
    next_friday = as_of + timedelta(days=(FRIDAY - as_of.weekday()) % 7 or 7)
    found = {next_friday + timedelta(weeks=i) for i in range(WEEKLIES)}
    year, month = as_of.year, as_of.month
    monthlies: list[date] = []
    while len(monthlies) < MONTHLIES:
        expiry = third_friday(year, month)
        if expiry > as_of:
            monthlies.append(expiry)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    found.update(monthlies)
    last = monthlies[-1]
    found.update(third_friday(last.year + i, 1) for i in range(1, LEAPS_YEARS + 1))
    return sorted(found)


def strike_increment(spot: float) -> float:
    """The listed strike spacing near ``spot``."""
    for ceiling, step in ((5.0, 0.5), (25.0, 1.0), (100.0, 2.5), (250.0, 5.0), (1000.0, 10.0)):
        if spot < ceiling:
            return step
    return 25.0


def strike_ladder(
    spot: float,
    vol: float,
    years: float,
    *,
    width_sd: float = 4.5,
    max_strikes: int = 100,
    dense_sd: float = 1.0,
) -> FloatArray:
    """Strikes on the listed grid covering ±``width_sd`` standard deviations of the spot at
    expiry (at most ``max_strikes + 1``), and at half the spacing within ±``dense_sd``, as
    liquid names list strikes near the money ($2.50 apart on a $190 stock instead of $5)."""
    step = strike_increment(spot)
    sd = vol * np.sqrt(max(years, 1.0 / 52.0))
    spread = width_sd * sd
    low, high = spot * np.exp(-spread), spot * np.exp(spread)
    centre = round(spot / step) * step
    half = min(int((high - low) / (2 * step)) + 1, max_strikes // 2)
    wide: FloatArray = centre + step * np.arange(-half, half + 1, dtype=np.float64)
    fine = step / 2
    near = np.arange(
        np.ceil(spot * np.exp(-dense_sd * sd) / fine), np.floor(spot * np.exp(dense_sd * sd) / fine) + 1
    )
    strikes: FloatArray = np.union1d(wide, fine * near)
    return strikes[strikes > 0]
