"""American options on a recombining binomial tree, vectorised across options.

Method (Broadie & Detemple's BBSR): a Cox-Ross-Rubinstein tree whose last step before expiry
takes Black-Scholes European values instead of the payoff, which removes the tree's odd-even
oscillation, then Richardson extrapolation 2·V(N) - V(N/2). The tree prices only the
early-exercise premium (American minus European on the same tree, a control variate, never
below 0), which is added to the closed-form European price. Each block of options is rolled
back together as one (options x nodes) array.

Discrete cash dividends follow the escrowed model: the tree carries S* = S - PV(dividends
paid before expiry) at volatility sigma, and early exercise at a node compares the payoff on
S* + PV(dividends still to come) with continuation, so the call's exercise just before an
ex-date is captured.

Greeks are central finite differences of this pricer: spot ±0.5% (delta, gamma), vol ±0.5
points (vega), rate ±10 bp (rho), and one calendar day forward (theta, stated per year).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

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
    """American prices of the batch (BSM spot with continuous yield, optional cash dividends)."""
    require(terms.model is Model.BSM, "model", "American exercise is priced on a spot (bsm) only")
    require(8 <= steps <= 20_000, "steps", "must be between 8 and 20000")
    coarse = steps // 2
    premium = 2.0 * _tree(terms, vol, dividends, coarse * 2) - _tree(terms, vol, dividends, coarse)
    escrowed = terms
    if dividends is not None:
        spot = terms.spot - dividends.present_value(terms.rate, terms.years)
        escrowed = OptionTerms(
            spot, terms.strike, terms.years, terms.rate, terms.carry_yield, terms.is_call, terms.model
        )
    return np.maximum(premium, 0.0) + greeks(escrowed, vol).price


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
    terms: OptionTerms, vol: FloatArray, *, steps: int = DEFAULT_STEPS
) -> tuple[FloatArray, FloatArray]:
    """Times (years from now) and the spot at which exercise becomes optimal, per option and
    step, from the tree: the highest exercised node for a put, the lowest for a call; NaN where
    no node is exercised."""
    boundary = np.full((terms.rows, steps), np.nan)
    _tree(terms, vol, None, steps, boundary)
    times = terms.years[:, None] * np.arange(steps)[None, :] / steps
    return times, boundary


def _tree(
    terms: OptionTerms,
    vol: FloatArray,
    dividends: CashDividends | None,
    steps: int,
    boundary: FloatArray | None = None,
) -> FloatArray:
    out = np.empty(terms.rows)

    def kernel(rows: slice) -> None:
        out[rows] = _roll_back(
            terms.take(np.arange(terms.rows)[rows]), vol[rows], dividends, rows, steps, boundary
        )

    run_in_blocks(kernel, terms.rows, _OPTIONS_PER_BLOCK)
    return out


def _roll_back(
    terms: OptionTerms,
    vol: FloatArray,
    dividends: CashDividends | None,
    rows: slice,
    steps: int,
    boundary: FloatArray | None,
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
    values = _exercise(
        european.copy(), w * (s_last + still_to_come(last) - k[:, None]), boundary, rows, last, s_last, w
    )
    for i in range(last - 1, -1, -1):
        continuation = up_disc * values[:, 1 : i + 2]
        continuation += down_disc * values[:, : i + 1]
        european = up_disc * european[:, 1 : i + 2] + down_disc * european[:, : i + 1]
        s_i = spots(i)
        values = _exercise(continuation, w * (s_i + still_to_come(i) - k[:, None]), boundary, rows, i, s_i, w)
    # Control variate: the tree's early-exercise premium over its own European value.
    premium: FloatArray = values[:, 0] - european[:, 0]
    return premium


def _exercise(
    continuation: FloatArray,
    payoff: FloatArray,
    boundary: FloatArray | None,
    rows: slice,
    step: int,
    spots: FloatArray,
    w: FloatArray,
) -> FloatArray:
    if boundary is None:
        return np.maximum(continuation, payoff, out=continuation)
    exercised = payoff > continuation
    # Puts exercise at and below the boundary (their highest exercised node), calls above it.
    highest = np.max(np.where(exercised, spots, -np.inf), axis=1)
    lowest = np.min(np.where(exercised, spots, np.inf), axis=1)
    edge = np.where(w[:, 0] > 0, lowest, highest)
    boundary[rows, step] = np.where(np.isfinite(edge), edge, np.nan)
    return np.where(exercised, payoff, continuation)
