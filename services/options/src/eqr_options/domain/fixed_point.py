"""American puts by Andersen, Lake and Offengenden's fixed-point method, vectorised across options.

Every option is first turned into a put with strike 1: a put on spot S and strike K is K times
the put on S/K; a call is, by McDonald-Schroder symmetry, S times the put on K/S with the rate
and the yield swapped. For that put the early-exercise boundary B(τ) (τ = time to expiry)
satisfies B = e^{-(r-q)τ}·N(τ, B) / D(τ, B), in ALO's "FP-A" form

    N = Φ(d₋(τ, B(τ))) + r ∫₀^τ e^{ru} Φ(d₋(τ - u, B(τ)/B(u))) du
    D = Φ(d₊(τ, B(τ))) + q ∫₀^τ e^{qu} Φ(d₊(τ - u, B(τ)/B(u))) du

or its "FP-B" form, from smooth pasting (φ the normal density, v the volatility)

    N = φ(d₋(τ, B))/(v√τ) + r ∫₀^τ e^{ru} φ(d₋(τ - u, ·))/(v√(τ - u)) du
    D = φ(d₊(τ, B))/(v√τ) + Φ(d₊(τ, B)) + q ∫₀^τ e^{qu} [φ(d₊(τ - u, ·))/(v√(τ - u)) + Φ(d₊(·))] du

and the price is the European put plus the early-exercise premium

    ∫₀^T [r e^{-r(T-u)} Φ(-d₋(T - u, S/B(u))) - q S e^{-q(T-u)} Φ(-d₊(T - u, S/B(u)))] du.

The boundary is represented by H(√τ) = ln²(B(τ)/X), X = min(1, r/q) its value at expiry,
interpolated by a Chebyshev polynomial in √τ on ``NODES + 1`` Chebyshev-Lobatto nodes. The
integrals substitute τ - u = z², which removes the square-root behaviour at u = τ, and use
Gauss-Legendre points in z. Because every quadrature point sits at a fixed fraction of the
option's expiry, interpolating the boundary there is one constant matrix product for the
whole batch. The iteration starts from Li's QD+ approximation of the boundary (solved by
Newton's method in log-spot) and takes ``ITERATIONS`` Jacobi steps of FP-B, which converges
about tenfold a step; rows where FP-B has not settled (it oscillates when r is large against
q at low volatility) are redone with ``FP_A_ITERATIONS`` steps of the slower, stable FP-A.

Covered: r > 0 (after the symmetry, i.e. the rate for puts and the dividend yield for calls).
With r ≤ 0 and q ≥ r early exercise never pays (the European price is returned); r ≤ 0 with
q < r has two exercise boundaries and is left to the caller (``needs_tree``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from math import pi, sqrt
from typing import Final

import numpy as np
from numpy.polynomial import chebyshev, legendre
from scipy.special import ndtr  # type: ignore[import-untyped]

from eqr_options.domain.arrays import BoolArray, FloatArray, run_in_blocks
from eqr_options.domain.inputs import OptionTerms

NODES: Final = 8
"""Chebyshev degree of the boundary: NODES + 1 collocation times, the first at expiry."""
BOUNDARY_POINTS: Final = 24
"""Gauss-Legendre points per boundary integral."""
PRICE_POINTS: Final = 64
"""Gauss-Legendre points for the early-exercise premium."""
ITERATIONS: Final = 3
"""FP-B steps from the QD+ start."""
FP_A_ITERATIONS: Final = 8
_SETTLED: Final = 1e-4
_QD_NEWTON_STEPS: Final = 3
_OPTIONS_PER_BLOCK: Final = 128
_INV_SQRT_2PI: Final = 1.0 / sqrt(2.0 * pi)


@dataclass(frozen=True, slots=True)
class _Grid:
    """Fractions of the expiry where the boundary is needed, and the matrices onto them."""

    node_time: FloatArray
    """τ_i / T at the collocation nodes (NODES + 1, the first 0)."""
    gl_z_squared: FloatArray
    """z² / τ_i at the boundary quadrature points (BOUNDARY_POINTS)."""
    gl_weight_z: FloatArray
    """Gauss-Legendre weight times z / √τ_i."""
    to_boundary_points: FloatArray
    """(NODES·BOUNDARY_POINTS, NODES + 1): H at u_ik / T from H at the nodes."""
    price_z: FloatArray
    """z / √T at the premium's quadrature points (PRICE_POINTS)."""
    price_weight: FloatArray
    to_price_points: FloatArray
    """(PRICE_POINTS, NODES + 1)."""


def _interpolation(fraction_of_expiry: FloatArray) -> FloatArray:
    """Matrix taking H at the nodes to H at times ``fraction_of_expiry``·T (Chebyshev in √τ)."""
    nodes = -np.cos(np.pi * np.arange(NODES + 1) / NODES)
    at_nodes = chebyshev.chebvander(nodes, NODES)
    at_points = chebyshev.chebvander(2.0 * np.sqrt(fraction_of_expiry) - 1.0, NODES)
    matrix: FloatArray = at_points @ np.linalg.inv(at_nodes)
    return matrix


@cache
def _grid() -> _Grid:
    nodes = -np.cos(np.pi * np.arange(NODES + 1) / NODES)
    node_time = ((1.0 + nodes) / 2.0) ** 2
    y, w = legendre.leggauss(BOUNDARY_POINTS)
    gl_z = (1.0 + y) / 2.0  # z = √τ_i·(1+y)/2, and τ_i - u = z²
    # ∫₀^τ g(u) du = ∫₀^√τ g(τ - z²)·2z dz = Σ g(·)·2z·(√τ/2)·w = τ·Σ g(·)·gl_z·w
    u_fraction = node_time[1:, None] * (1.0 - gl_z[None, :] ** 2)
    yp, wp = legendre.leggauss(PRICE_POINTS)
    price_z = (1.0 + yp) / 2.0
    return _Grid(
        node_time=node_time,
        gl_z_squared=gl_z**2,
        gl_weight_z=gl_z * w,
        to_boundary_points=_interpolation(u_fraction.ravel()),
        price_z=price_z,
        price_weight=wp,
        to_price_points=_interpolation(1.0 - price_z**2),
    )


def needs_tree(rate: FloatArray, carry_yield: FloatArray) -> BoolArray:
    """Rows of a unit put (after symmetry) with two exercise boundaries: r ≤ 0 and q < r."""
    two_boundaries: BoolArray = (rate <= 0.0) & (carry_yield < rate)
    return two_boundaries


@dataclass(frozen=True, slots=True)
class UnitPuts:
    """Puts with strike 1 (spot, rate, yield, vol, years per row) and the scale back to the
    contract: contract value = ``scale``·unit value."""

    spot: FloatArray
    rate: FloatArray
    carry_yield: FloatArray
    vol: FloatArray
    years: FloatArray
    scale: FloatArray


def unit_puts(terms: OptionTerms, vol: FloatArray) -> UnitPuts:
    calls = terms.is_call
    return UnitPuts(
        spot=np.where(calls, terms.strike / terms.spot, terms.spot / terms.strike),
        rate=np.where(calls, terms.carry_yield, terms.rate),
        carry_yield=np.where(calls, terms.rate, terms.carry_yield),
        vol=vol,
        years=terms.years,
        scale=np.where(calls, terms.spot, terms.strike),
    )


def put_prices(puts: UnitPuts) -> FloatArray:
    """Unit American put prices for rows with r > 0 (others: the caller's); NaN where the
    iteration overflowed."""
    out = np.empty(puts.spot.shape[0])

    def kernel(rows: slice) -> None:
        r, q, v, t = puts.rate[rows], puts.carry_yield[rows], puts.vol[rows], puts.years[rows]
        # Rows that overflow come back as NaN for the caller to price another way.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            h = boundary_nodes(r, q, v, t)
            out[rows] = _price(puts.spot[rows], r, q, v, t, h)

    run_in_blocks(kernel, out.shape[0], _OPTIONS_PER_BLOCK)
    return out


def exercise_limit(r: FloatArray, q: FloatArray) -> FloatArray:
    """X = B(0+) for a unit put: min(1, r/q)."""
    limit: FloatArray = np.where(q > r, r / np.where(q > r, q, 1.0), 1.0)
    return limit


def boundary_at(fraction_of_expiry: FloatArray, r: FloatArray, q: FloatArray, h: FloatArray) -> FloatArray:
    """B at times to expiry ``fraction_of_expiry``·T (shape (points,)) per row: (rows, points)."""
    at = np.maximum(h @ _interpolation(fraction_of_expiry).T, 0.0)
    b: FloatArray = exercise_limit(r, q)[:, None] * np.exp(-np.sqrt(at))
    return b


def boundary_nodes(r: FloatArray, q: FloatArray, v: FloatArray, t: FloatArray) -> FloatArray:
    """H = ln²(B/X) at the collocation nodes, (rows, NODES + 1), by fixed-point iteration.

    FP-B converges in a few steps where it converges at all; where its last step still moved
    the boundary by more than ``_SETTLED`` (large r against q at low volatility, where it
    oscillates), the row is redone with the slower but stable FP-A."""
    g = _grid()
    x = exercise_limit(r, q)[:, None]
    tau = t[:, None] * g.node_time[None, 1:]  # (rows, NODES), all > 0
    start = _qd_plus(r[:, None], q[:, None], v[:, None], tau, x)
    b, moved = _iterate(r, q, v, tau, start, x, fp_a=False, iterations=ITERATIONS)
    unsettled = moved > _SETTLED
    if np.any(unsettled):
        rows = np.flatnonzero(unsettled)
        b[rows], _ = _iterate(
            r[rows], q[rows], v[rows], tau[rows], start[rows], x[rows], fp_a=True, iterations=FP_A_ITERATIONS
        )
    h = np.zeros((r.shape[0], NODES + 1))
    h[:, 1:] = np.log(b / x) ** 2
    return h


def _iterate(
    r: FloatArray,
    q: FloatArray,
    v: FloatArray,
    tau: FloatArray,
    b: FloatArray,
    x: FloatArray,
    *,
    fp_a: bool,
    iterations: int,
) -> tuple[FloatArray, FloatArray]:
    """``iterations`` Jacobi steps from ``b``; also the largest relative move of the last step."""
    h = np.zeros((r.shape[0], NODES + 1))
    moved = np.zeros(r.shape[0])
    for _ in range(iterations):
        h[:, 1:] = np.log(b / x) ** 2
        new = np.minimum(_fixed_point_step(r, q, v, tau, b, h, x, fp_a), x)
        moved = np.max(np.abs(new / b - 1.0), axis=1)
        b = new
    return b, moved


def _fixed_point_step(
    r: FloatArray,
    q: FloatArray,
    v: FloatArray,
    tau: FloatArray,
    b: FloatArray,
    h: FloatArray,
    x: FloatArray,
    fp_a: bool,
) -> FloatArray:
    """One Jacobi step B ← e^{-(r-q)τ}·N/D at every node of every row, FP-B or FP-A."""
    g = _grid()
    rows = r.shape[0]
    shape = (rows, NODES, BOUNDARY_POINTS)
    r3, q3, v3 = r[:, None, None], q[:, None, None], v[:, None, None]
    tau3 = tau[:, :, None]
    # ln(B(τ)/B(u)) = ln(B(τ)/X) + √H(u)
    log_ratio = np.maximum(h @ g.to_boundary_points.T, 0.0).reshape(shape)
    np.sqrt(log_ratio, out=log_ratio)
    log_ratio += (np.log(b) - np.log(x))[:, :, None]
    elapsed = tau3 * g.gl_z_squared  # (τ - u) = z²
    v_z = np.sqrt(elapsed)
    v_z *= v3
    d_plus = (r3 - q3 + 0.5 * v3 * v3) * elapsed
    d_plus += log_ratio
    d_plus /= v_z
    du = tau3 * g.gl_weight_z  # du = τ·(z/√τ)·w
    grow = tau3 - elapsed  # u = τ - z², then e^{qu}·du
    grow *= q3
    np.exp(grow, out=grow)
    grow *= du
    cdf_integral = np.sum(ndtr(d_plus) * grow, axis=2)
    r2, q2, v2 = r[:, None], q[:, None], v[:, None]
    v_sqrt = v2 * np.sqrt(tau)
    dm = (np.log(b) + (r2 - q2 - 0.5 * v2 * v2) * tau) / v_sqrt
    dp = dm + v_sqrt
    if fp_a:
        d_plus -= v_z  # d₋
        grow_r = tau3 - elapsed
        grow_r *= r3
        np.exp(grow_r, out=grow_r)
        grow_r *= du
        numerator = ndtr(dm) + r2 * np.sum(ndtr(d_plus) * grow_r, axis=2)
        denominator = ndtr(dp) + q2 * cdf_integral
    else:
        # e^{qu}·φ(d₊)/(vol·z)·du, and e^{ru}·φ(d₋) = e^{(r-q)τ}·(B(τ)/B(u))·e^{qu}·φ(d₊)
        pdf = np.square(d_plus, out=d_plus)
        pdf *= -0.5
        np.exp(pdf, out=pdf)
        pdf *= grow
        pdf /= v_z
        np.exp(log_ratio, out=log_ratio)
        log_ratio *= pdf
        n_integral = _INV_SQRT_2PI * np.exp((r2 - q2) * tau) * np.sum(log_ratio, axis=2)
        d_integral = _INV_SQRT_2PI * np.sum(pdf, axis=2) + cdf_integral
        numerator = np.exp(-0.5 * dm * dm) * _INV_SQRT_2PI / v_sqrt + r2 * n_integral
        denominator = np.exp(-0.5 * dp * dp) * _INV_SQRT_2PI / v_sqrt + ndtr(dp) + q2 * d_integral
    step: FloatArray = np.exp(-(r2 - q2) * tau) * numerator / denominator
    return step


def _price(
    s: FloatArray, r: FloatArray, q: FloatArray, v: FloatArray, t: FloatArray, h: FloatArray
) -> FloatArray:
    g = _grid()
    x = exercise_limit(r, q)
    log_b_u = np.log(x)[:, None] - np.sqrt(np.maximum(h @ g.to_price_points.T, 0.0))
    z = np.sqrt(t)[:, None] * g.price_z[None, :]  # √(T - u)
    elapsed = z * z
    r2, q2, v2 = r[:, None], q[:, None], v[:, None]
    v_z = v2 * z
    d_minus = (np.log(s)[:, None] - log_b_u + (r2 - q2 - 0.5 * v2 * v2) * elapsed) / v_z
    d_plus = d_minus + v_z
    integrand = r2 * np.exp(-r2 * elapsed) * ndtr(-d_minus) - q2 * s[:, None] * np.exp(-q2 * elapsed) * ndtr(
        -d_plus
    )
    premium = t * np.sum(integrand * (g.price_z * g.price_weight)[None, :], axis=1)
    v_sqrt = v * np.sqrt(t)
    dm = (np.log(s) + (r - q - 0.5 * v * v) * t) / v_sqrt
    european = np.exp(-r * t) * ndtr(-dm) - s * np.exp(-q * t) * ndtr(-dm - v_sqrt)
    boundary_now = x * np.exp(-np.sqrt(np.maximum(h[:, -1], 0.0)))
    value: FloatArray = np.where(s <= boundary_now, 1.0 - s, np.maximum(european + premium, 1.0 - s))
    return value


def _qd_plus(r: FloatArray, q: FloatArray, v: FloatArray, tau: FloatArray, x: FloatArray) -> FloatArray:
    """Li's QD+ boundary of a unit put at times to expiry ``tau``, by Newton's method in ln S."""
    var = v * v
    h = -np.expm1(-r * tau)
    alpha = 2.0 * r / var
    omega = 2.0 * (r - q) / var
    root = np.sqrt((omega - 1.0) ** 2 + 4.0 * alpha / h)
    lam = 0.5 * (-(omega - 1.0) - root)
    lam_prime = alpha / (h * h * root)
    v_sqrt = v * np.sqrt(tau)
    dr, dq = np.exp(-r * tau), np.exp(-q * tau)

    def equation(log_s: FloatArray) -> FloatArray:
        s = np.exp(log_s)
        d_plus = (log_s + (r - q + 0.5 * var) * tau) / v_sqrt
        n_minus_plus = ndtr(-d_plus)
        n_minus_minus = ndtr(-(d_plus - v_sqrt))
        put = dr * n_minus_minus - s * dq * n_minus_plus
        theta = (
            r * dr * n_minus_minus
            - q * s * dq * n_minus_plus
            - 0.5 * v * s * dq * _INV_SQRT_2PI * np.exp(-0.5 * d_plus * d_plus) / np.sqrt(tau)
        )
        excess = 1.0 - s - put
        safe = np.where(np.abs(excess) > 1e-300, excess, 1e-300)
        c0 = -((1.0 - h) * alpha / (2.0 * lam + omega - 1.0)) * (
            1.0 / h - theta / (r * safe * (1.0 - h)) + lam_prime / (2.0 * lam + omega - 1.0)
        )
        f: FloatArray = (1.0 - dq * n_minus_plus) * s + (lam + c0) * excess
        return f

    # Barone-Adesi-Whaley's seed, between the perpetual boundary and X.
    perpetual_root = 0.5 * (-(omega - 1.0) - np.sqrt((omega - 1.0) ** 2 + 4.0 * alpha))
    perpetual = perpetual_root / (perpetual_root - 1.0)
    seed = perpetual + (1.0 - perpetual) * np.exp(((r - q) * tau - 2.0 * v_sqrt) / (1.0 - perpetual))
    log_x = np.log(x)
    log_low = np.log(np.minimum(perpetual, x) * 0.5)
    log_s = np.clip(np.log(seed), log_low, log_x - 1e-9)
    step = 1e-6
    for _ in range(_QD_NEWTON_STEPS):
        f = equation(log_s)
        slope = (equation(log_s + step) - f) / step
        log_s = np.clip(log_s - f / np.where(slope != 0.0, slope, 1.0), log_low, log_x - 1e-12)
    boundary: FloatArray = np.exp(log_s)
    return boundary
