"""A chain's implied volatilities fitted per expiry (raw SVI), and volatilities read off the fit.

Each expiry's smile is fitted to its out-of-the-money quotes (puts below the forward, calls at
and above it: the liquid side, where the implied vol is best determined) that have a bid, in
log-moneyness k = ln(K/F). A contract bid at zero has no market: its mid is half a tick, and
the implied vol of half a tick far in a wing says nothing about the smile (the same cut the
VIX methodology makes). Expiries with fewer than five such quotes are left out. Between fitted expiries
the total variance is interpolated linearly in time at the same k; before the first and
after the last expiry the nearest smile's volatility is held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np

from eqr_options.domain.arrays import FloatArray
from eqr_options.domain.chain import Chain, Underlying
from eqr_options.domain.implied_vol import ImpliedVol
from eqr_options.domain.svi import SmileFit, fit_surface

MIN_QUOTES_PER_SMILE: Final = 5


@dataclass(frozen=True)
class Smile:
    expiry: date
    forward: float
    strike: FloatArray
    fit: SmileFit


@dataclass(frozen=True)
class FittedSurface:
    smiles: tuple[Smile, ...]
    """In increasing expiry."""
    calendar_free: bool

    def vol(self, years: float, log_moneyness: float) -> float | None:
        """The surface's volatility at ``years`` and k = ln(K/F); None without any smile."""
        if not self.smiles:
            return None
        k = np.array([log_moneyness])
        times = [s.fit.years for s in self.smiles]
        if years <= times[0] or years >= times[-1]:
            nearest = self.smiles[0] if years <= times[0] else self.smiles[-1]
            return float(nearest.fit.params.implied_vol(k, nearest.fit.years)[0])
        after = int(np.searchsorted(times, years))
        near, far = self.smiles[after - 1].fit, self.smiles[after].fit
        weight = (years - near.years) / (far.years - near.years)
        w_near = float(near.params.total_variance(k)[0])
        w_far = float(far.params.total_variance(k)[0])
        variance = max(w_near + weight * (w_far - w_near), 0.0)
        return float(np.sqrt(variance / years))


def fit_chain_surface(underlying: Underlying, chain: Chain, iv: ImpliedVol) -> FittedSurface:
    carry = underlying.rate - underlying.dividend_yield
    expiries = np.array([e.toordinal() for e in chain.expiry])
    quotes: list[tuple[date, float, FloatArray, FloatArray, float]] = []
    for ordinal in np.unique(expiries):
        rows = expiries == ordinal
        years = float(chain.years[rows][0])
        forward = underlying.spot * float(np.exp(carry * years))
        strike = chain.strike[rows]
        quoted = chain.bid[rows] > 0
        otm = np.where(chain.is_call[rows], strike >= forward, strike < forward) & iv.ok[rows] & quoted
        if np.count_nonzero(otm) < MIN_QUOTES_PER_SMILE:
            continue
        order = np.argsort(strike[otm])
        quotes.append(
            (date.fromordinal(int(ordinal)), forward, strike[otm][order], iv.vol[rows][otm][order], years)
        )
    if not quotes:
        return FittedSurface((), calendar_free=True)
    surface = fit_surface([(years, np.log(k / f), vol) for _, f, k, vol, years in quotes])
    smiles = tuple(
        Smile(expiry, forward, strike, fit)
        for (expiry, forward, strike, _, _), fit in zip(quotes, surface.smiles, strict=True)
    )
    return FittedSurface(smiles, surface.calendar_free)
