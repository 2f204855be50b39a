"""Raw SVI smiles, fitted per expiry in total implied variance w(k) = sigma_imp²·T against
log-moneyness k = ln(K/F):

    w(k) = a + b·(rho(k - m) + √((k - m)² + sigma²))

Fitted with the no-arbitrage bounds built into the parameters: b ≥ 0, |rho| < 1, sigma > 0, a
minimum variance a + bsigma√(1 - rho²) ≥ 0, and Lee's wing bound b(1 + |rho|) ≤ 2, by
``svi_solver`` (all expiries of a surface in one batch). Butterfly freedom is then checked on
a grid with Gatheral's density condition g(k) ≥ 0 and reported with the fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eqr_options.domain import svi_solver
from eqr_options.domain.arrays import FloatArray
from eqr_options.domain.inputs import require


@dataclass(frozen=True, slots=True)
class SviParams:
    a: float
    b: float
    rho: float
    m: float
    sigma: float

    def total_variance(self, k: FloatArray) -> FloatArray:
        d = np.asarray(k, dtype=np.float64) - self.m
        return self.a + self.b * (self.rho * d + np.sqrt(d * d + self.sigma * self.sigma))

    def implied_vol(self, k: FloatArray, years: float) -> FloatArray:
        return np.sqrt(np.maximum(self.total_variance(k), 0.0) / years)

    def density_condition(self, k: FloatArray) -> FloatArray:
        """Gatheral's g(k); the smile is free of butterfly arbitrage where g ≥ 0."""
        d = np.asarray(k, dtype=np.float64) - self.m
        root = np.sqrt(d * d + self.sigma * self.sigma)
        w = self.a + self.b * (self.rho * d + root)
        w1 = self.b * (self.rho + d / root)
        w2 = self.b * self.sigma * self.sigma / root**3
        kk = np.asarray(k, dtype=np.float64)
        return (1 - kk * w1 / (2 * w)) ** 2 - w1 * w1 / 4 * (1 / w + 0.25) + w2 / 2


@dataclass(frozen=True, slots=True)
class SmileFit:
    years: float
    params: SviParams
    log_moneyness: FloatArray
    market_vol: FloatArray
    fitted_vol: FloatArray
    butterfly_free: bool

    @property
    def residuals(self) -> FloatArray:
        """Fitted minus market implied volatility, per quote."""
        return self.fitted_vol - self.market_vol

    @property
    def rms_error(self) -> float:
        return float(np.sqrt(np.mean(self.residuals**2)))


def _params(x: FloatArray) -> SviParams:
    floor, b, rho, m, sigma = (float(v) for v in x)
    return SviParams(a=floor - b * sigma * np.sqrt(1 - rho * rho), b=b, rho=rho, m=m, sigma=sigma)


def _quotes(
    log_moneyness: FloatArray, vol: FloatArray, years: float, weights: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """One expiry's (log-moneyness, total variance, weight), checked."""
    k = np.asarray(log_moneyness, dtype=np.float64)
    v = np.asarray(vol, dtype=np.float64)
    require(
        k.ndim == 1 and k.shape == v.shape and k.size >= 5,
        "quotes",
        "needs at least five (strike, vol) quotes per expiry",
    )
    require(bool(np.all(np.isfinite(k))), "log_moneyness", "must be finite")
    require(bool(np.all(np.isfinite(v)) and np.all(v > 0)), "vol", "must be finite and above 0")
    require(bool(np.isfinite(years) and years > 0), "years", "must be above 0")
    weight = np.ones_like(k) if weights is None else np.asarray(weights, dtype=np.float64)
    require(
        weight.shape == k.shape and bool(np.all(np.isfinite(weight)) and np.all(weight >= 0)),
        "weights",
        "must be one finite, non-negative weight per quote",
    )
    return k, v * v * years, weight


def _smile(years: float, k: FloatArray, vol: FloatArray, x: FloatArray) -> SmileFit:
    p = _params(x)
    span = max(float(np.ptp(k)), 0.1)
    grid = np.linspace(float(k.min()) - span, float(k.max()) + span, 101)
    return SmileFit(
        years=years,
        params=p,
        log_moneyness=k,
        market_vol=vol,
        fitted_vol=p.implied_vol(k, years),
        butterfly_free=bool(np.all(p.density_condition(grid) >= -1e-10)),
    )


def fit_smile(
    log_moneyness: FloatArray, vol: FloatArray, years: float, weights: FloatArray | None = None
) -> SmileFit:
    """Least-squares SVI fit of one expiry's implied vols (in total variance, optional weights)."""
    quotes = _quotes(log_moneyness, vol, years, weights)
    x = svi_solver.fit(svi_solver.Smiles.of([quotes]))[0]
    return _smile(years, quotes[0], np.asarray(vol, dtype=np.float64), x)


@dataclass(frozen=True, slots=True)
class Surface:
    """Fitted smiles in increasing expiry; ``calendar_free`` when total variance never falls
    with expiry at any log-moneyness on the fitted range."""

    smiles: tuple[SmileFit, ...]
    calendar_free: bool

    def term_structure(self) -> tuple[FloatArray, FloatArray]:
        """(years, at-the-forward implied vol) per expiry."""
        years = np.array([s.years for s in self.smiles])
        atm = np.array([float(s.params.implied_vol(np.array([0.0]), s.years)[0]) for s in self.smiles])
        return years, atm


def fit_surface(expiries: list[tuple[float, FloatArray, FloatArray]]) -> Surface:
    """Fit every (years, log-moneyness, vol) expiry, all in one batch, and check calendar
    arbitrage between them."""
    require(len(expiries) > 0, "expiries", "needs at least one expiry")
    ordered = sorted(expiries, key=lambda e: e[0])
    quotes = [_quotes(k, v, t, None) for t, k, v in ordered]
    fitted = svi_solver.fit(svi_solver.Smiles.of(quotes))
    smiles = tuple(
        _smile(t, q[0], np.asarray(v, dtype=np.float64), x)
        for (t, _, v), q, x in zip(ordered, quotes, fitted, strict=True)
    )
    low = min(float(s.log_moneyness.min()) for s in smiles)
    high = max(float(s.log_moneyness.max()) for s in smiles)
    grid = np.linspace(low, high, 41)
    variances = np.array([s.params.total_variance(grid) for s in smiles])
    return Surface(smiles, calendar_free=bool(np.all(np.diff(variances, axis=0) >= -1e-8)))
