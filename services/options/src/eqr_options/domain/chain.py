"""The market simulator's option chain: listed contracts quoted off a volatility surface.

The surface is raw SVI per expiry with a term structure that mean-reverts from the
underlying's current volatility to a long-run level and a put skew that flattens with
expiry. Quotes are the model mid with a spread that widens for cheap and far-from-the-money
contracts, rounded to the tick (0.01 under $3, 0.05 above); volume and open interest peak at the
money and decay into the wings, with seeded lognormal noise. Pure: the date and the random
generator are arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from eqr_options.domain.arrays import BoolArray, FloatArray
from eqr_options.domain.black_scholes import Greeks, greeks
from eqr_options.domain.expiries import listed_expiries, strike_ladder
from eqr_options.domain.inputs import option_terms, require
from eqr_options.domain.svi import SviParams

DAYS_PER_YEAR = 365.0
LONG_RUN_VOL_RATIO = 0.85
TERM_DECAY_YEARS = 0.5


@dataclass(frozen=True, slots=True)
class Underlying:
    symbol: str
    spot: float
    vol: float
    rate: float
    dividend_yield: float


@dataclass(frozen=True, slots=True)
class Chain:
    """One row per contract, columns as arrays (expiries as dates)."""

    as_of: date
    expiry: list[date]
    years: FloatArray
    strike: FloatArray
    is_call: BoolArray
    bid: FloatArray
    ask: FloatArray
    last: FloatArray
    volume: np.ndarray[tuple[int], np.dtype[np.int64]]
    open_interest: np.ndarray[tuple[int], np.dtype[np.int64]]
    model_vol: FloatArray
    greeks: Greeks

    @property
    def mid(self) -> FloatArray:
        return 0.5 * (self.bid + self.ask)


def surface_params(underlying: Underlying, years: float) -> SviParams:
    """The simulator's smile at ``years``: ATM vol on the term structure, skew fading with √T."""
    long_run = LONG_RUN_VOL_RATIO * underlying.vol
    atm = long_run + (underlying.vol - long_run) * np.exp(-years / TERM_DECAY_YEARS)
    rho = -0.7 + 0.3 * min(years, 2.0) / 2.0
    sigma = 0.1 * np.sqrt(years) + 0.02
    b = min(0.4 * atm * np.sqrt(years), 1.9 / (1 + abs(rho)))
    a = atm * atm * years - b * sigma * np.sqrt(1 - rho * rho)  # so that w(0) = atm²·T at m = 0
    return SviParams(a=float(a), b=float(b), rho=float(rho), m=0.0, sigma=float(sigma))


def _tick(price: FloatArray) -> FloatArray:
    return np.where(price < 3.0, 0.01, 0.05)


def quote_chain(
    underlying: Underlying, as_of: date, rng: np.random.Generator, max_contracts: int = 2000
) -> Chain:
    """Every listed contract on ``as_of``, quoted; at most ``max_contracts`` rows (nearest expiries first)."""
    require(underlying.spot > 0, "spot", "must be above 0")
    require(0 < underlying.vol <= 5, "vol", "must be above 0 and at most 5")
    expiries: list[date] = []
    years: list[float] = []
    strikes: list[FloatArray] = []
    for expiry in listed_expiries(as_of):
        t = (expiry - as_of).days / DAYS_PER_YEAR
        ladder = strike_ladder(underlying.spot, underlying.vol, t)
        if sum(s.size for s in strikes) + ladder.size > max_contracts // 2:
            break
        expiries.append(expiry)
        years.append(t)
        strikes.append(ladder)
    per_expiry = [len(s) for s in strikes]
    t_rows = np.repeat(np.array(years), per_expiry)
    k_rows = np.concatenate(strikes)
    t_all, k_all = np.tile(t_rows, 2), np.tile(k_rows, 2)
    calls = np.repeat([True, False], t_rows.size)
    forward = underlying.spot * np.exp((underlying.rate - underlying.dividend_yield) * t_all)
    log_moneyness = np.log(k_all / forward)
    vol = np.empty_like(t_all)
    for t in years:
        rows = t_all == t
        vol[rows] = surface_params(underlying, t).implied_vol(log_moneyness[rows], t)
    terms = option_terms(
        spot=underlying.spot,
        strike=k_all,
        years=t_all,
        rate=underlying.rate,
        dividend_yield=underlying.dividend_yield,
        is_call=calls,
    )
    g = greeks(terms, vol)
    mid = np.maximum(g.price, 0.0)
    distance = np.abs(log_moneyness) / (underlying.vol * np.sqrt(t_all))
    half_spread = np.maximum(0.005 + 0.02 * mid * (1 + 0.5 * distance), 0.01)
    tick = _tick(mid)
    # Whole ticks times the tick are not whole cents in binary (23 x 0.05 = 1.1500000000000001):
    # rounded to the cent, each price is the one a quote shows.
    bid = np.round(np.maximum(np.floor((mid - half_spread) / tick) * tick, 0.0), 2)
    ask = np.round(np.maximum(np.ceil((mid + half_spread) / tick) * tick, tick), 2)
    last = np.round(
        np.clip(np.round((mid + rng.uniform(-1, 1, mid.size) * half_spread) / tick) * tick, bid, ask), 2
    )
    interest = np.exp(-0.5 * distance * distance) * 5000.0 / (1.0 + t_all)
    volume = rng.poisson(np.maximum(interest * 0.1 * rng.lognormal(0.0, 0.5, mid.size), 0.0))
    open_interest = rng.poisson(np.maximum(interest * rng.lognormal(0.0, 0.5, mid.size), 0.0))
    expiry_rows = [e for e, n in zip(expiries, per_expiry, strict=True) for _ in range(n)] * 2
    return Chain(
        as_of=as_of,
        expiry=expiry_rows,
        years=t_all,
        strike=k_all,
        is_call=calls,
        bid=bid,
        ask=ask,
        last=last,
        volume=volume.astype(np.int64),
        open_interest=open_interest.astype(np.int64),
        model_vol=vol,
        greeks=g,
    )
