"""American options: Andersen-Lake-Offengenden's fixed-point method, a binomial tree for the rest.

Which method prices what:

- No cash dividends (continuous yield only) and a single exercise boundary: the spectral
  collocation / fixed-point method of Andersen, Lake and Offengenden (``fixed_point``), from a
  QD+ start, vectorised across options. Within ~3e-5 of QuantLib's high-precision QD+ engine
  on the benchmark's grid (up to three years, vols 8-90%).
- Early exercise that never pays (a put with r ≤ 0 and q ≥ r; a call with
  q ≤ 0 and r ≥ q): the European price, exactly.
- Two exercise boundaries (negative rates with q < r for a put, the mirror for a call) and
  discrete cash dividends: the binomial tree (``binomial_price``), which is also the
  independent reference the tests compare the fixed-point prices against.

The tree is Broadie & Detemple's BBSR: a Cox-Ross-Rubinstein tree whose last step before
expiry takes Black-Scholes European values instead of the payoff, which removes the tree's
odd-even oscillation, then Richardson extrapolation 2·V(N) - V(N/2). The tree prices only the
early-exercise premium (American minus European on the same tree, a control variate, never
below 0), which is added to the closed-form European price. Each block of options is rolled
back together as one (options x nodes) array.

Discrete cash dividends follow the escrowed model: the tree carries S* = S - PV(dividends
paid before expiry) at volatility sigma, and early exercise at a node compares the payoff on
S* + PV(dividends still to come) with continuation, so the call's exercise just before an
ex-date is captured.

Greeks are central finite differences of the price (whichever method prices the row): spot
±0.5% (delta, gamma), vol ±0.5 points (vega), rate and yield ±10 bp (rho, dividend rho), and
one calendar day forward (theta, stated per year).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from eqr_options.domain import fixed_point
from eqr_options.domain.arrays import FloatArray, run_in_blocks
from eqr_options.domain.black_scholes import DAYS_PER_YEAR, Greeks, greeks
from eqr_options.domain.inputs import Model, OptionTerms, require

DEFAULT_STEPS: Final = 128
_OPTIONS_PER_BLOCK: Final = 512


@dataclass(frozen=True, slots=True)
class CashDividends:
    """Cash dividends per option: ``times`` in years from now and ``amounts`` per share, both
    shaped (options, k); pad rows with amount 0 where an option has fewer than k."""

    times: FloatArray
    amounts: FloatArray

    def present_value(
        self, rate: FloatArray, before: FloatArray, after: FloatArray | float = 0.0
    ) -> FloatArray:
        """PV now of the dividends paid in (after, before], per option."""
        start = np.asarray(after, dtype=np.float64)
        paid = (self.times > (start[:, None] if start.ndim else start)) & (self.times <= before[:, None])
        pv: FloatArray = np.sum(
            np.where(paid, self.amounts * np.exp(-rate[:, None] * self.times), 0.0), axis=1
        )
        return pv


def cash_dividends(times: FloatArray, amounts: FloatArray, *, rows: int) -> CashDividends:
    """Validated dividends for a batch of ``rows`` options (a 1-D schedule applies to every row)."""
    t = np.atleast_2d(np.asarray(times, dtype=np.float64))
    a = np.atleast_2d(np.asarray(amounts, dtype=np.float64))
    require(t.shape == a.shape, "dividend_amounts", "must have one amount per dividend time")
    require(t.shape[0] in (1, rows), "dividend_times", f"must have one schedule or {rows}")
    require(bool(np.all(np.isfinite(t)) and np.all(t >= 0)), "dividend_times", "must be finite, not negative")
    require(
        bool(np.all(np.isfinite(a)) and np.all(a >= 0)), "dividend_amounts", "must be finite, not negative"
    )
    return CashDividends(np.broadcast_to(t, (rows, t.shape[1])), np.broadcast_to(a, (rows, a.shape[1])))


def american_price(
    terms: OptionTerms,
    vol: FloatArray,
    *,
    dividends: CashDividends | None = None,
    steps: int = DEFAULT_STEPS,
) -> FloatArray:
    """American prices of the batch (BSM spot with continuous yield, optional cash dividends);
    ``steps`` is the tree's, for the rows the tree prices (see the module's docstring)."""
    require(terms.model is Model.BSM, "model", "American exercise is priced on a spot (bsm) only")
    require(8 <= steps <= 20_000, "steps", "must be between 8 and 20000")
    if dividends is not None:
        return binomial_price(terms, vol, dividends=dividends, steps=steps)
    puts = fixed_point.unit_puts(terms, vol)
    european = greeks(terms, vol).price
    out = european.copy()
    by_tree = fixed_point.needs_tree(puts.rate, puts.carry_yield)
    by_fixed_point = (puts.rate > 0.0) & ~by_tree
    if np.any(by_fixed_point):
        rows = np.flatnonzero(by_fixed_point)
        unit = fixed_point.put_prices(_take(puts, rows))
        out[rows] = np.maximum(puts.scale[rows] * unit, european[rows])
        # Overflow at the extremes (decades at rates near 100%): the tree takes those rows.
        by_tree[rows[~np.isfinite(unit)]] = True
    if np.any(by_tree):
        rows = np.flatnonzero(by_tree)
        _require_stable_tree(terms.take(rows), vol[rows], steps // 2, rows)
        out[rows] = binomial_price(terms.take(rows), vol[rows], steps=steps)
    return out


def _take(puts: fixed_point.UnitPuts, rows: np.ndarray) -> fixed_point.UnitPuts:
    return fixed_point.UnitPuts(
        puts.spot[rows],
        puts.rate[rows],
        puts.carry_yield[rows],
        puts.vol[rows],
        puts.years[rows],
        puts.scale[rows],
    )


def binomial_price(
    terms: OptionTerms,
    vol: FloatArray,
    *,
    dividends: CashDividends | None = None,
    steps: int = DEFAULT_STEPS,
) -> FloatArray:
    """American prices on the BBSR tree with Richardson extrapolation and a European control variate."""
    require(terms.model is Model.BSM, "model", "American exercise is priced on a spot (bsm) only")
    require(8 <= steps <= 20_000, "steps", "must be between 8 and 20000")
    coarse = steps // 2
    _require_stable_tree(terms, vol, coarse)
    premium = 2.0 * _tree(terms, vol, dividends, coarse * 2) - _tree(terms, vol, dividends, coarse)
    escrowed = terms
    if dividends is not None:
        spot = terms.spot - dividends.present_value(terms.rate, terms.years)
        escrowed = OptionTerms(
            spot, terms.strike, terms.years, terms.rate, terms.carry_yield, terms.is_call, terms.model
        )
    return np.maximum(premium, 0.0) + greeks(escrowed, vol).price


def _require_stable_tree(
    terms: OptionTerms, vol: FloatArray, steps: int, rows: npt.NDArray[np.intp] | None = None
) -> None:
    """A tree step must move the price by more than the carry does (vol·√dt > |r - q|·dt), or its
    up-move probability leaves [0, 1] and the tree's prices are meaningless. ``rows`` are the
    caller's row numbers of a batch taken from a larger one."""
    dt = terms.years / steps
    unstable = vol * np.sqrt(dt) <= np.abs(terms.rate - terms.carry_yield) * dt
    if np.any(unstable):
        first = int(np.flatnonzero(unstable)[0])
        row = int(rows[first]) if rows is not None else first
        require(
            False,
            "vol",
            f"row {row}: too low for the rate and dividend yield over this time"
            " (the tree needs vol > |rate - dividend_yield| x sqrt(years / steps))",
        )


def american_greeks(
    terms: OptionTerms,
    vol: FloatArray,
    *,
    dividends: CashDividends | None = None,
    steps: int = DEFAULT_STEPS,
) -> Greeks:
    """Price, delta, gamma, vega, theta (per year), rho by central differences; dividend rho by
    a ±10 bp bump of the yield."""

    def at(vol: FloatArray = vol, **changes: FloatArray) -> FloatArray:
        fields = {f: getattr(terms, f) for f in ("spot", "strike", "years", "rate", "carry_yield")}
        fields.update(changes)
        bumped = OptionTerms(**fields, is_call=terms.is_call, model=terms.model)
        return american_price(bumped, vol, dividends=dividends, steps=steps)

    ds, dv, dr, day = 0.005 * terms.spot, 0.005, 1e-3, 1.0 / DAYS_PER_YEAR
    base = at()
    up, down = at(spot=terms.spot + ds), at(spot=terms.spot - ds)
    later = at(years=np.maximum(terms.years - day, 0.5 * terms.years))
    elapsed = terms.years - np.maximum(terms.years - day, 0.5 * terms.years)
    return Greeks(
        price=base,
        delta=(up - down) / (2 * ds),
        gamma=(up - 2 * base + down) / (ds * ds),
        vega=(at(vol=vol + dv) - at(vol=vol - dv)) / (2 * dv),
        theta=(later - base) / elapsed,
        rho=(at(rate=terms.rate + dr) - at(rate=terms.rate - dr)) / (2 * dr),
        dividend_rho=(at(carry_yield=terms.carry_yield + dr) - at(carry_yield=terms.carry_yield - dr))
        / (2 * dr),
    )


def early_exercise_boundary(
    terms: OptionTerms, vol: FloatArray, *, points: int = 64
) -> tuple[FloatArray, FloatArray]:
    """Times (years from now, ``points`` per option from now to expiry) and the spot at which
    exercise becomes optimal, from the fixed-point method: a put is exercised at and below
    it, a call at and above it. NaN for rows where early exercise never pays or the method
    does not apply (two boundaries)."""
    require(terms.model is Model.BSM, "model", "American exercise is priced on a spot (bsm) only")
    require(2 <= points <= 10_000, "points", "must be between 2 and 10000")
    puts = fixed_point.unit_puts(terms, vol)
    covered = (puts.rate > 0.0) & ~fixed_point.needs_tree(puts.rate, puts.carry_yield)
    elapsed_fraction = np.arange(points) / points
    times = terms.years[:, None] * elapsed_fraction[None, :]
    boundary = np.full((terms.rows, points), np.nan)
    rows = np.flatnonzero(covered)
    if rows.size:
        r, q = puts.rate[rows], puts.carry_yield[rows]
        h = fixed_point.boundary_nodes(r, q, puts.vol[rows], puts.years[rows])
        unit = fixed_point.boundary_at(1.0 - elapsed_fraction, r, q, h)
        strike = terms.strike[rows, None]
        boundary[rows] = np.where(terms.is_call[rows, None], strike / unit, strike * unit)
    return times, boundary


def _tree(
    terms: OptionTerms,
    vol: FloatArray,
    dividends: CashDividends | None,
    steps: int,
) -> FloatArray:
    out = np.empty(terms.rows)

    def kernel(rows: slice) -> None:
        out[rows] = _roll_back(terms.take(np.arange(terms.rows)[rows]), vol[rows], dividends, rows, steps)

    run_in_blocks(kernel, terms.rows, _OPTIONS_PER_BLOCK)
    return out


def _roll_back(
    terms: OptionTerms,
    vol: FloatArray,
    dividends: CashDividends | None,
    rows: slice,
    steps: int,
) -> FloatArray:
    t, r, q, k = terms.years, terms.rate, terms.carry_yield, terms.strike
    w = terms.sign[:, None]
    dt = t / steps
    escrow = np.zeros_like(t)
    schedule = None
    if dividends is not None:
        schedule = CashDividends(dividends.times[rows], dividends.amounts[rows])
        escrow = schedule.present_value(r, t)
    spot = terms.spot - escrow
    u = np.exp(vol * np.sqrt(dt))
    p_up = (np.exp((r - q) * dt) - 1.0 / u) / (u - 1.0 / u)
    disc = np.exp(-r * dt)
    up_disc, down_disc = (disc * p_up)[:, None], (disc * (1.0 - p_up))[:, None]
    log_u = np.log(u)
    up_twice = np.exp(2.0 * np.arange(steps + 1, dtype=np.float64)[None, :] * log_u[:, None])

    def spots(i: int) -> FloatArray:
        """Escrowed spot at the i+1 nodes of step i: S*·u^(2j - i)."""
        lowest = spot * np.exp(-i * log_u)
        nodes: FloatArray = lowest[:, None] * up_twice[:, : i + 1]
        return nodes

    def still_to_come(i: int) -> FloatArray:
        if schedule is None:
            return np.zeros((t.size, 1))
        now = t * i / steps
        pv_then = schedule.present_value(r, t, now) * np.exp(r * now)
        return pv_then[:, None]

    # Step N-1: European values for the last interval, then the exercise test.
    last = steps - 1
    s_last = spots(last)
    european = greeks(
        OptionTerms(
            spot=s_last.ravel(),
            strike=np.repeat(k, last + 1),
            years=np.repeat(dt, last + 1),
            rate=np.repeat(r, last + 1),
            carry_yield=np.repeat(q, last + 1),
            is_call=np.repeat(terms.is_call, last + 1),
            model=Model.BSM,
        ),
        np.repeat(vol, last + 1),
    ).price.reshape(s_last.shape)
    values = np.maximum(european, w * (s_last + still_to_come(last) - k[:, None]))
    for i in range(last - 1, -1, -1):
        continuation = up_disc * values[:, 1 : i + 2]
        continuation += down_disc * values[:, : i + 1]
        european = up_disc * european[:, 1 : i + 2] + down_disc * european[:, : i + 1]
        s_i = spots(i)
        values = np.maximum(continuation, w * (s_i + still_to_come(i) - k[:, None]), out=continuation)
    # Control variate: the tree's early-exercise premium over its own European value.
    premium: FloatArray = values[:, 0] - european[:, 0]
    return premium
