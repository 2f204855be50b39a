"""Raw SVI least squares for many smiles at once: every expiry is one slice of (expiry, quote)
arrays, so a whole surface costs a few dozen small numpy calls instead of an optimiser per smile.

The parameters are x = (floor, b, rho, m, sigma), with floor = a + b·sigma·√(1 - rho²) the
minimum total variance, so the no-arbitrage conditions are bounds: floor ≥ 0, 0 ≤ b ≤ 2,
|rho| ≤ 0.999, sigma > 0, and Lee's wing bound b(1 + |rho|) ≤ 2, kept by projection.

- Start: Zeliade's quasi-explicit reduction. For fixed (m, sigma) the smile is linear,
  w = a + d·y + c·√(y² + 1) with y = (k - m)/sigma, c = b·sigma, d = rho·b·sigma, so a grid of
  (m, sigma) pairs costs one weighted 3x3 least squares each; the best admissible pair starts.
- Polish: Levenberg-Marquardt with Marquardt's scaling on the analytic Jacobian, each trial
  projected onto the bounds, accepted only if it lowers the sum of squares; an expiry stops
  once its steps no longer move it, the rest carry on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from eqr_options.domain.arrays import BoolArray, FloatArray

MAX_ITERATIONS: Final = 50
MAX_RHO: Final = 0.999
MIN_SIGMA: Final = 1e-4
MAX_SIGMA: Final = 5.0
MAX_B: Final = 2.0
_M_GRID: Final = np.linspace(0.15, 0.85, 6)
"""Start values of m, as fractions of the quotes' log-moneyness range."""
_SIGMA_GRID: Final = np.geomspace(0.01, 1.5, 6)
_STARTS: Final = 2
"""Starts polished per expiry: SVI has shallow valleys (rho near ±1) where one start can stall."""
_STEP_DONE: Final = 1e-11
"""A step smaller than this (relative to the parameters) ends an expiry's fit."""


@dataclass(frozen=True, slots=True)
class Smiles:
    """Quotes of several expiries padded to one width as (expiries, quotes) arrays (padding
    has weight 0), with each expiry's parameter bounds as (expiries, 5) arrays."""

    k: FloatArray
    target: FloatArray
    weight: FloatArray
    lower: FloatArray
    upper: FloatArray

    @classmethod
    def of(cls, quotes: list[tuple[FloatArray, FloatArray, FloatArray]]) -> Smiles:
        """``quotes``: per expiry (log-moneyness, target total variance, weight)."""
        shape = (len(quotes), max(k.size for k, _, _ in quotes))
        k_rows, target, weight = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        for row, (k, w, weights) in enumerate(quotes):
            k_rows[row], target[row, : k.size], weight[row, : k.size] = k[-1], w, weights
            k_rows[row, : k.size] = k
        k_min, k_max = k_rows.min(axis=1), k_rows.max(axis=1)
        span = np.maximum(k_max - k_min, 0.1)
        ones = np.ones(len(quotes))
        lower = np.column_stack([0 * ones, 0 * ones, -MAX_RHO * ones, k_min - span, MIN_SIGMA * ones])
        upper = np.column_stack(
            [
                np.maximum(target.max(axis=1), 1e-8) * 2,
                MAX_B * ones,
                MAX_RHO * ones,
                k_max + span,
                MAX_SIGMA * ones,
            ]
        )
        return cls(k_rows, target, weight, lower, upper)

    def repeated(self, times: int) -> Smiles:
        """Every expiry ``times`` times in a row, to fit from several starts at once."""
        arrays = (self.k, self.target, self.weight, self.lower, self.upper)
        return Smiles(*(np.repeat(a, times, axis=0) for a in arrays))

    def residuals(self, x: FloatArray) -> FloatArray:
        r: FloatArray = self.weight * (total_variance(x, self.k) - self.target)
        return r

    def project(self, x: FloatArray) -> FloatArray:
        """``x`` (expiries, ..., 5) clipped to the bounds, b lowered to meet Lee's wing bound."""
        bounds_shape = (x.shape[0],) + (1,) * (x.ndim - 2) + (5,)
        x = np.clip(x, self.lower.reshape(bounds_shape), self.upper.reshape(bounds_shape))
        x[..., 1] = np.minimum(x[..., 1], 2.0 / (1.0 + np.abs(x[..., 2])))
        return x

    def blocked(self, x: FloatArray, gradient: FloatArray) -> BoolArray:
        """Parameters (expiries, 5) on a bound that the descent direction -``gradient`` points
        out of: they stay where they are for the next step."""
        upper = self.upper.copy()
        upper[:, 1] = np.minimum(upper[:, 1], 2.0 / (1.0 + np.abs(x[:, 2])))
        blocked: BoolArray = ((x <= self.lower) & (gradient > 0)) | ((x >= upper) & (gradient < 0))
        return blocked


def total_variance(x: FloatArray, k: FloatArray) -> FloatArray:
    """w(k) for parameters ``x`` (..., 5) at log-moneyness ``k`` (..., quotes)."""
    floor, b, rho, m, sigma = (x[..., i, None] for i in range(5))
    d = k - m
    return floor + b * (rho * d + np.sqrt(d * d + sigma * sigma) - sigma * np.sqrt(1.0 - rho * rho))


def _jacobian(x: FloatArray, k: FloatArray) -> FloatArray:
    """dw/dx, shaped (expiries, quotes, 5)."""
    _, b, rho, m, sigma = (x[:, i, None] for i in range(5))
    d = k - m
    root = np.sqrt(d * d + sigma * sigma)
    co = np.sqrt(1.0 - rho * rho)
    return np.stack(
        [
            np.ones_like(k),
            rho * d + root - sigma * co,
            b * (sigma * rho / co + d),
            -b * (rho + d / root),
            b * (sigma / root - co),
        ],
        axis=-1,
    )


def _starts(smiles: Smiles) -> FloatArray:
    """Per expiry, the ``_STARTS`` best admissible quasi-explicit solutions over the (m, sigma)
    grid, as (expiries, starts, 5)."""
    k_min, span = smiles.k.min(axis=1), np.ptp(smiles.k, axis=1)
    m = (k_min[:, None, None] + span[:, None, None] * _M_GRID[None, :, None]).repeat(_SIGMA_GRID.size, 2)
    m = m.reshape(m.shape[0], -1)  # (expiries, pairs)
    sigma = np.broadcast_to(np.tile(_SIGMA_GRID, _M_GRID.size), m.shape)
    y = (smiles.k[:, None, :] - m[..., None]) / sigma[..., None]  # (expiries, pairs, quotes)
    features = np.stack([np.ones_like(y), y, np.sqrt(y * y + 1.0)], axis=-1)
    weighted = features * smiles.weight[:, None, :, None]
    transposed = np.swapaxes(weighted, -1, -2)
    normal = transposed @ weighted
    normal += 1e-12 * np.trace(normal, axis1=-2, axis2=-1)[..., None, None] * np.eye(3)
    rhs = transposed @ (smiles.weight * smiles.target)[:, None, :, None]
    a, d, c = np.moveaxis(np.linalg.solve(normal, rhs)[..., 0], -1, 0)
    c = np.maximum(c, 1e-12)
    rho = np.clip(d / c, -MAX_RHO, MAX_RHO)
    candidates = smiles.project(
        np.stack([a + c * np.sqrt(1.0 - rho * rho), c / sigma, rho, m, sigma], axis=-1)
    )
    error = smiles.weight[:, None, :] * (
        total_variance(candidates, smiles.k[:, None, :]) - smiles.target[:, None, :]
    )
    best = np.argsort(np.sum(error * error, axis=-1), axis=1)[:, :_STARTS]
    starts: FloatArray = np.take_along_axis(candidates, best[..., None], axis=1)
    return starts


def fit(smiles: Smiles) -> FloatArray:
    """Fitted parameters, (expiries, 5): the best of the polished starts of each expiry."""
    starts = _starts(smiles)
    expiries, count = starts.shape[:2]
    x, cost = _polish(smiles.repeated(count), starts.reshape(expiries * count, 5))
    best = np.argmin(cost.reshape(expiries, count), axis=1)
    fitted: FloatArray = x.reshape(expiries, count, 5)[np.arange(expiries), best]
    return fitted


def _polish(smiles: Smiles, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Levenberg-Marquardt from ``x``, rows independent; returns parameters and sums of squares."""
    r = smiles.residuals(x)
    cost = np.sum(r * r, axis=1)
    damping = np.full(x.shape[0], 1e-3)
    active = np.ones(x.shape[0], dtype=bool)
    identity = np.eye(5)
    for _ in range(MAX_ITERATIONS):
        if not active.any():
            break
        jac = _jacobian(x, smiles.k) * smiles.weight[..., None]
        transposed = np.swapaxes(jac, 1, 2)
        normal = transposed @ jac
        gradient = (transposed @ r[..., None])[..., 0]
        free = ~smiles.blocked(x, gradient)
        normal = normal * (free[:, :, None] & free[:, None, :]) + identity * ~free[:, None, :]
        gradient *= free
        scale = np.maximum(np.diagonal(normal, axis1=1, axis2=2), 1e-12)
        damped = normal + damping[:, None, None] * scale[:, None, :] * identity
        step = -np.linalg.solve(damped, gradient[..., None])[..., 0]
        trial = smiles.project(x + step)
        trial_r = smiles.residuals(trial)
        trial_cost = np.sum(trial_r * trial_r, axis=1)
        better = active & (trial_cost < cost)
        moved = np.max(np.abs(trial - x) / (np.abs(x) + 1e-8), axis=1)
        x[better], r[better], cost[better] = trial[better], trial_r[better], trial_cost[better]
        damping = np.clip(np.where(better, damping / 3.0, damping * 4.0), 1e-12, 1e12)
        active &= (moved >= _STEP_DONE) & (damping < 1e12) & (cost > 0.0)
    return x, cost
