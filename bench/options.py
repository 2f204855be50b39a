"""Options mathematics in-process, each figure beside a peer run on the same rows in the same run.

No fleet: the domain is pure numpy (the European kernel compiled by numba; its first call,
which compiles or loads it, is the warm-up that ``_best`` does not time), so this measures the
library the service calls. Peers:
QuantLib (AnalyticEuropeanEngine with its Greeks; blackFormulaImpliedStdDev; QdFpAmericanEngine,
Andersen-Lake-Offengenden, as both the American speed peer and, in its high-precision scheme, the
accuracy reference, itself checked against a 2000x2000 finite-difference engine) and vollib
(Jäckel's "Let's Be Rational" in Python; py_vollib_vectorized, its numba wrapper, fails to
compile under every numba that supports this numpy). Peers are called row by row, as their
Python APIs require, on a subset, and their rate is per option. Times are the best of a few
repeats; the machine is shared, so the load average is reported with them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import QuantLib as ql  # noqa: N813 (the library's own convention)
from vollib.black_scholes_merton.implied_volatility import implied_volatility as vollib_iv

from eqr_options.domain.american import american_price
from eqr_options.domain.black_scholes import greeks
from eqr_options.domain.chain import Chain, Underlying, quote_chain
from eqr_options.domain.implied_vol import implied_vol
from eqr_options.domain.inputs import OptionTerms, option_terms
from eqr_options.domain.svi import fit_surface
from eqr_options.heap import keep_freed_arrays_in_heap

SEED = 20261127
EUROPEAN_ROWS = 1_000_000
IV_ROWS = 100_000
AMERICAN_ROWS = 10_000
PEER_ROWS = 5_000
FD_CHECK_ROWS = 10
REPEATS = 5
TODAY = ql.Date(27, 11, 2026)


def _best(work: Callable[[], object], repeats: int = REPEATS) -> float:
    work()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _batch(rows: int, rng: np.random.Generator) -> tuple[OptionTerms, np.ndarray]:
    """Random rows on whole days, so QuantLib's dates give the same times."""
    days = rng.integers(7, 3 * 365, rows)
    terms = option_terms(
        spot=100.0,
        strike=rng.uniform(60, 160, rows),
        years=days / 365.0,
        rate=0.04,
        dividend_yield=0.015,
        is_call=rng.random(rows) < 0.5,
    )
    return terms, rng.uniform(0.08, 0.9, rows)


class _QuantLib:
    """One flat-market BSM process whose spot, rates and vol are set per row."""

    def __init__(self) -> None:
        ql.Settings.instance().evaluationDate = TODAY
        day_count = ql.Actual365Fixed()
        self.spot, self.rate, self.dividend, self.vol = (ql.SimpleQuote(0.0) for _ in range(4))
        self.process = ql.BlackScholesMertonProcess(
            ql.QuoteHandle(self.spot),
            ql.YieldTermStructureHandle(ql.FlatForward(TODAY, ql.QuoteHandle(self.dividend), day_count)),
            ql.YieldTermStructureHandle(ql.FlatForward(TODAY, ql.QuoteHandle(self.rate), day_count)),
            ql.BlackVolTermStructureHandle(
                ql.BlackConstantVol(TODAY, ql.NullCalendar(), ql.QuoteHandle(self.vol), day_count)
            ),
        )

    def option(self, terms: OptionTerms, vol: np.ndarray, i: int, american: bool) -> ql.VanillaOption:
        self.spot.setValue(float(terms.spot[i]))
        self.rate.setValue(float(terms.rate[i]))
        self.dividend.setValue(float(terms.carry_yield[i]))
        self.vol.setValue(float(vol[i]))
        expiry = TODAY + round(float(terms.years[i]) * 365)
        kind = ql.Option.Call if terms.is_call[i] else ql.Option.Put
        exercise = ql.AmericanExercise(TODAY, expiry) if american else ql.EuropeanExercise(expiry)
        return ql.VanillaOption(ql.PlainVanillaPayoff(kind, float(terms.strike[i])), exercise)


@dataclass(frozen=True)
class Row:
    name: str
    rows: int
    ours_per_s: float
    peer: str
    peer_per_s: float
    accuracy: str

    def line(self) -> str:
        return (
            f"| {self.name} | {self.rows:,} | {self.ours_per_s:,.0f} | {self.peer} "
            f"| {self.peer_per_s:,.0f} | "
            f"{self.ours_per_s / self.peer_per_s:,.0f}x | {self.accuracy} |"
        )


def _european(rng: np.random.Generator, lib: _QuantLib) -> Row:
    terms, vol = _batch(EUROPEAN_ROWS, rng)
    seconds = _best(lambda: greeks(terms, vol))
    ours = greeks(terms, vol)
    engine = ql.AnalyticEuropeanEngine(lib.process)

    def peer() -> list[tuple[float, float, float, float, float, float]]:
        values = []
        for i in range(PEER_ROWS):
            option = lib.option(terms, vol, i, american=False)
            option.setPricingEngine(engine)
            values.append(
                (
                    option.NPV(),
                    option.delta(),
                    option.gamma(),
                    option.vega(),
                    option.thetaPerDay(),
                    option.rho(),
                )
            )
        return values

    started = time.perf_counter()
    theirs = np.array(peer())
    peer_seconds = time.perf_counter() - started
    mine = np.column_stack([ours.price, ours.delta, ours.gamma, ours.vega, ours.theta_per_day, ours.rho])[
        :PEER_ROWS
    ]
    gap = np.max(np.abs(mine - theirs) / np.maximum(1.0, np.abs(theirs)))
    return Row(
        "European BSM price + delta, gamma, vega, theta, rho, dividend rho",
        EUROPEAN_ROWS,
        EUROPEAN_ROWS / seconds,
        "QuantLib AnalyticEuropeanEngine",
        PEER_ROWS / peer_seconds,
        f"max relative gap to QuantLib over {PEER_ROWS:,} rows (price and 5 Greeks): {gap:.1e}",
    )


def _implied(rng: np.random.Generator) -> tuple[Row, Row]:
    terms, vol = _batch(IV_ROWS, rng)
    g = greeks(terms, vol)
    seconds = _best(lambda: implied_vol(terms, g.price))
    solved = implied_vol(terms, g.price)
    otm = terms.is_call == (terms.strike >= terms.forward())
    meaningful = otm & (g.vega > 1e-8)
    error = float(np.max(np.abs(solved.vol - vol)[meaningful]))
    subset = np.flatnonzero(meaningful)[:PEER_ROWS]

    started = time.perf_counter()
    theirs = np.array(
        [
            vollib_iv(
                float(g.price[i]),
                100.0,
                float(terms.strike[i]),
                float(terms.years[i]),
                0.04,
                0.015,
                "c" if terms.is_call[i] else "p",
            )
            for i in subset
        ]
    )
    vollib_seconds = time.perf_counter() - started
    started = time.perf_counter()
    ql_theirs = np.array(
        [
            ql.blackFormulaImpliedStdDev(
                ql.Option.Call if terms.is_call[i] else ql.Option.Put,
                float(terms.strike[i]),
                float(terms.forward()[i]),
                float(g.price[i] / np.exp(-0.04 * terms.years[i])),
                1.0,
                0.0,
                0.3 * float(np.sqrt(terms.years[i])),
                1e-14,
                500,
            )
            / float(np.sqrt(terms.years[i]))
            for i in subset
        ]
    )
    ql_seconds = time.perf_counter() - started
    ok = f"{solved.ok.mean():.2%} solved"
    ours_text = (
        f"ours: max abs vol error {error:.1e} over {meaningful.sum():,} out-of-the-money rows"
        " with vega > 1e-8 "
        f"({ok}); vollib on {subset.size:,} of them: {np.max(np.abs(theirs - vol[subset])):.1e}"
    )
    return (
        Row(
            "Implied volatility (BSM)",
            IV_ROWS,
            IV_ROWS / seconds,
            "vollib (LBR)",
            subset.size / vollib_seconds,
            ours_text,
        ),
        Row(
            "Implied volatility (BSM)",
            IV_ROWS,
            IV_ROWS / seconds,
            "QuantLib blackFormulaImpliedStdDev",
            subset.size / ql_seconds,
            f"QuantLib on the same rows (tolerance 1e-14): {np.max(np.abs(ql_theirs - vol[subset])):.1e}",
        ),
    )


def _american(rng: np.random.Generator, lib: _QuantLib) -> tuple[Row, str]:
    terms, vol = _batch(AMERICAN_ROWS, rng)
    seconds = _best(lambda: american_price(terms, vol), repeats=2)
    ours = american_price(terms, vol)
    fast = ql.QdFpAmericanEngine(lib.process, ql.QdFpAmericanEngine.accurateScheme())
    precise = ql.QdFpAmericanEngine(lib.process, ql.QdFpAmericanEngine.highPrecisionScheme())

    def run(engine: ql.PricingEngine, rows: range) -> np.ndarray:
        values = []
        for i in rows:
            option = lib.option(terms, vol, i, american=True)
            option.setPricingEngine(engine)
            values.append(option.NPV())
        return np.array(values)

    started = time.perf_counter()
    run(fast, range(AMERICAN_ROWS))
    peer_seconds = time.perf_counter() - started
    reference = run(precise, range(AMERICAN_ROWS))
    fd = ql.FdBlackScholesVanillaEngine(lib.process, 2000, 2000)
    fd_gap = np.max(np.abs(run(fd, range(FD_CHECK_ROWS)) - reference[:FD_CHECK_ROWS]))
    error = np.abs(ours - reference)
    row = Row(
        "American (Andersen-Lake-Offengenden fixed point from QD+, FP-B with FP-A fallback)",
        AMERICAN_ROWS,
        AMERICAN_ROWS / seconds,
        "QuantLib QdFpAmericanEngine (accurate)",
        AMERICAN_ROWS / peer_seconds,
        f"vs QuantLib QD+ high precision: max {error.max():.1e}, p99 {np.quantile(error, 0.99):.1e}, "
        f"share within 1e-4 {np.mean(error <= 1e-4):.1%}",
    )
    note = f"QD+ high precision vs a 2000x2000 FD engine on {FD_CHECK_ROWS} rows: max gap {fd_gap:.1e}."
    return row, note


def _chain_terms(underlying: Underlying, chain: Chain) -> OptionTerms:
    return option_terms(
        spot=underlying.spot,
        strike=chain.strike,
        years=chain.years,
        rate=underlying.rate,
        dividend_yield=underlying.dividend_yield,
        is_call=chain.is_call,
    )


def _chain(lib: _QuantLib) -> tuple[str, Row]:
    underlying = Underlying("SIM", 187.3, 0.28, 0.045, 0.005)
    as_of = date(2026, 11, 27)

    def quote_and_fit() -> tuple[int, bool]:
        chain = quote_chain(underlying, as_of, np.random.default_rng(SEED))
        terms = _chain_terms(underlying, chain)
        solved = implied_vol(terms, chain.mid)
        moneyness = np.log(chain.strike / terms.forward())
        otm = (chain.is_call == (moneyness >= 0)) & solved.ok & (chain.bid > 0)
        expiries = []
        for t in np.unique(chain.years):
            rows = otm & (chain.years == t)
            order = np.argsort(moneyness[rows])
            expiries.append((float(t), moneyness[rows][order], solved.vol[rows][order]))
        surface = fit_surface(expiries)
        return chain.strike.size, surface.calendar_free

    seconds = _best(quote_and_fit)
    contracts, calendar_free = quote_and_fit()
    chain = quote_chain(underlying, as_of, np.random.default_rng(SEED))
    terms = _chain_terms(underlying, chain)
    engine = ql.AnalyticEuropeanEngine(lib.process)
    started = time.perf_counter()
    for i in range(terms.rows):
        option = lib.option(terms, chain.model_vol, i, american=False)
        option.setPricingEngine(engine)
        option.NPV(), option.delta(), option.gamma(), option.vega(), option.theta(), option.rho()
    peer_seconds = time.perf_counter() - started
    chain_seconds = _best(lambda: quote_chain(underlying, as_of, np.random.default_rng(SEED)))
    text = (
        f"- Full chain for one symbol: {contracts:,} contracts ({len(set(chain.expiry))} expiries)"
        " quoted with "
        f"Greeks, their mids' implied vols and an SVI fit per expiry: {seconds * 1000:.0f} ms "
        f"(target < 50 ms); the quoting alone {chain_seconds * 1000:.1f} ms. Surface calendar-arbitrage "
        f"free: {calendar_free}."
    )
    row = Row(
        "Chain quoting with Greeks",
        contracts,
        contracts / chain_seconds,
        "QuantLib AnalyticEuropeanEngine",
        contracts / peer_seconds,
        "the same contracts priced with price + 5 Greeks by the peer",
    )
    return text, row


def _load(averages: tuple[float, float, float]) -> str:
    return " / ".join(f"{a:.2f}" for a in averages)


def run() -> str:
    keep_freed_arrays_in_heap()  # as the service does at start-up
    load_before = os.getloadavg()
    rng = np.random.default_rng(SEED)
    lib = _QuantLib()
    european = _european(rng, lib)
    iv_vollib, iv_quantlib = _implied(rng)
    american, fd_note = _american(rng, lib)
    chain_text, chain_row = _chain(lib)
    load_after = os.getloadavg()
    return "\n".join(
        [
            "",
            "### Options mathematics (in-process)",
            "",
            "numpy (European: a numba-compiled kernel) over arrays in one process with two kernel",
            "threads; peers row by row through their Python APIs on the same rows. Targets (issue 6):",
            "European price + Greeks ≥ 30M/s; IV ≥ 3M/s with |Δsigma| < 1e-12 where vega > 1e-8;",
            "American within 1e-4 of a high-accuracy reference at ≥ 20,000/s; a 2,000-contract chain",
            "with Greeks and surface fit < 50 ms.",
            "",
            "| work | rows | ours /s | peer | peer /s | ratio | accuracy |",
            "|---|---|---|---|---|---|---|",
            european.line(),
            iv_vollib.line(),
            iv_quantlib.line(),
            american.line(),
            chain_row.line(),
            "",
            chain_text,
            f"- {fd_note}",
            f"- Load average (1/5/15 min) before: {_load(load_before)}, after: {_load(load_after)}"
            " (other engineers' work shares the 2 cores).",
        ]
    )


if __name__ == "__main__":
    print(run())
